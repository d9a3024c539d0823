"""Scale data: accounts, people, grants, quotes with revisions and lines, and their workflow
processes and tasks, in bulk, shaped exactly like the rows the product writes.

How the rows stay real:
* **Grants** are the rows ``contacts.permissions.grant_role`` writes: a per-account group
  ``account:<pk>:<role>`` holding the role's object permissions in the direct tables, the user in
  that group, and a ``permission_granted`` audit event; memberships as ``membership_add`` makes.
* **Quotes and workflows** are first built through the real services and flow on the first
  account, one *template* per state (draft, waiting for deal desk, sent, sent back for revision,
  sent again after changes, accepted, rejected, withdrawn); then each template is copied row for
  row (quote, every revision, every line, acceptance, audit trail, the viewflow process and every
  task in its status) onto the other accounts, with the template's people swapped for the
  account's own representative and billing contact. A copied open task can be executed through
  ``workflows.services`` like any other.
* A copied sent revision keeps its template's ``sent_pdf_sha256`` but gets no kept PDF
  (``quotes.SentPdf``: rendered and kept by its first download or acceptance), and a copied
  acceptance keeps no PDF bytes (the "as accepted" PDF is then rendered) and no stamped copy (the
  first download or the periodic sweep makes it): rendering 100,000 PDFs is not what this
  measures.

Everything is written with ``bulk_create`` in batches inside one transaction per batch, which is
fast on PostgreSQL (minutes for the full size) and works on SQLite for the tests.
"""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.models import JSONField
from django.test.utils import override_settings
from django.utils import timezone
from viewflow.workflow.models import Process, Task

from audit.models import AuditAction, AuditEvent
from contacts import permissions
from contacts.models import (
    Account,
    AccountGroupObjectPermission,
    AccountKind,
    Membership,
    MembershipRole,
    StaffRole,
    User,
)
from quotes import services as quote_services
from quotes.models import (
    Acceptance,
    ApprovalRule,
    BillingFrequency,
    Price,
    Product,
    Quote,
    QuoteCounter,
    QuoteLine,
    QuoteRevision,
)
from quotes.policy import Action
from quotes.services import LineInput

from . import services as flow_services
from .models import QuoteProcess

PASSWORD = "scale-password-2026"
BATCH = 2000


@dataclass(frozen=True)
class Size:
    accounts: int
    accounts_per_rep: int
    quotes: int
    lines: int
    contacts_per_account: int = 2
    members_per_account: int = 1


SIZES = {
    # CI and tests: seconds.
    "small": Size(accounts=40, accounts_per_rep=10, quotes=200, lines=5),
    # The size of the issue: 10,000 accounts, 30,000 customer users, 100,000 quotes, about
    # 900,000 lines and 700,000 tasks.
    "full": Size(accounts=10_000, accounts_per_rep=50, quotes=100_000, lines=6),
}

# Template states and how many copies of each in a cycle of 12 quotes.
STATES = (
    ("draft", 1),
    ("pending_approval", 1),
    ("sent", 3),
    ("revise", 1),
    ("sent_again", 1),
    ("accepted", 3),
    ("rejected", 1),
    ("withdrawn", 1),
)


class Progress:
    """Prints one progress line per step and a bar per batch (a log-friendly progress bar)."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self.started = time.monotonic()

    def step(self, text: str) -> None:
        self.write(f"[{time.monotonic() - self.started:7.1f}s] {text}")

    def bar(self, what: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        self.write(
            f"[{time.monotonic() - self.started:7.1f}s] {what:<10} "
            f"[{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,}"
        )


def _batches(items, size=BATCH):
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _copy(instance, **changes):
    values = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.primary_key
    }
    values.update(changes)
    return type(instance)(**values)


# --- people and grants ----------------------------------------------------------------------


@dataclass
class People:
    accounts: list[Account]
    contacts: dict[int, list[int]]  # account id -> billing contact user ids, primary first
    rep_of: dict[int, int]  # account id -> representative user id
    reps: list[User]
    deal_desk: User
    finance: User


def _role_permission_ids() -> dict[str, list[int]]:
    ids = dict(
        Permission.objects.filter(
            content_type__app_label="contacts", content_type__model="account"
        ).values_list("codename", "pk")
    )
    return {role: [ids[c] for c in codes] for role, codes in permissions.ROLE_PERMISSIONS.items()}


def grant_in_bulk(rows: list[tuple[User, Account, str]]) -> None:
    """The rows ``permissions.grant_role`` writes for each (user, account, role), in bulk: the
    per-account group with its object permissions (when new), the group membership and the
    audit event."""
    perm_ids = _role_permission_ids()
    names = {permissions._group_name(account, role) for _, account, role in rows}
    existing = dict(Group.objects.filter(name__in=names).values_list("name", "pk"))
    new_names = sorted(names - existing.keys())
    Group.objects.bulk_create([Group(name=name) for name in new_names], batch_size=BATCH)
    created = dict(Group.objects.filter(name__in=new_names).values_list("name", "pk"))
    groups = {**existing, **created}
    by_name = {permissions._group_name(a, r): (a, r) for _, a, r in rows}
    AccountGroupObjectPermission.objects.bulk_create(
        [
            AccountGroupObjectPermission(
                group_id=created[name], permission_id=perm_id, content_object=by_name[name][0]
            )
            for name in new_names
            for perm_id in perm_ids[by_name[name][1]]
        ],
        batch_size=BATCH,
    )
    through = User.groups.through
    through.objects.bulk_create(
        [
            through(user_id=user.pk, group_id=groups[permissions._group_name(account, role)])
            for user, account, role in rows
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    permissions.grants_changed({user.pk for user, _, _ in rows})
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                action=AuditAction.PERMISSION_GRANTED,
                account=account,
                object_type=User._meta.label_lower,
                object_id=str(user.pk),
                after={
                    "user": user.username,
                    "role": role,
                    "permissions": list(permissions.ROLE_PERMISSIONS[role]),
                },
            )
            for user, account, role in rows
        ],
        batch_size=BATCH,
    )


def build_people(size: Size, progress: Progress, prefix: str) -> People:
    password = make_password(PASSWORD)
    first = Account.objects.filter(number__startswith="OV-5").order_by("-number").first()
    start = int(first.number[3:]) + 1 if first else 5_000_000
    accounts: list[Account] = []
    for chunk in _batches(range(size.accounts)):
        with transaction.atomic():
            accounts += Account.objects.bulk_create(
                [
                    Account(
                        number=f"OV-{start + i:07d}",
                        name=f"Scale Customer {start + i} {'Ltd' if i % 3 else 'Inc.'}",
                        kind=AccountKind.CORPORATE,
                        currency="USD",
                        time_zone="America/New_York" if i % 2 else "Europe/Berlin",
                        billing_address=f"{i % 900 + 1} Market Street\nSpringfield",
                        po_required=(i % 5 == 0),
                    )
                    for i in chunk
                ]
            )
        progress.bar("accounts", len(accounts), size.accounts)
    if not accounts[0].pk:  # SQLite before 3.35 returns no keys from bulk_create
        accounts = list(Account.objects.filter(number__gte=f"OV-{start:07d}").order_by("number"))

    def user(username, **extra):
        return User(username=username, password=password, email=f"{username}@example.com", **extra)

    n_reps = math.ceil(size.accounts / size.accounts_per_rep)
    staff = [
        user(
            f"{prefix}rep{k}",
            first_name="Rep",
            last_name=f"{k}",
            staff_role=StaffRole.REPRESENTATIVE,
        )
        for k in range(n_reps)
    ]
    staff.append(
        user(
            f"{prefix}dealdesk", first_name="Dana", last_name="Desk", staff_role=StaffRole.DEAL_DESK
        )
    )
    staff.append(
        user(
            f"{prefix}finance",
            first_name="Frank",
            last_name="Finance",
            staff_role=StaffRole.FINANCE,
        )
    )
    User.objects.bulk_create(staff, batch_size=BATCH)
    staff = list(User.objects.filter(username__in=[u.username for u in staff]))
    by_name = {u.username: u for u in staff}
    reps = [by_name[f"{prefix}rep{k}"] for k in range(n_reps)]

    contacts: dict[int, list[int]] = {}
    rep_of: dict[int, int] = {}
    done = 0
    for chunk in _batches(list(enumerate(accounts)), BATCH // 4):
        customers = []
        for _i, account in chunk:
            for c in range(size.contacts_per_account):
                customers.append(
                    (
                        user(
                            f"{prefix}{account.number.lower()}.ap{c}",
                            first_name="Billing",
                            last_name=f"Contact {c}",
                        ),
                        account,
                        MembershipRole.BILLING_CONTACT,
                        c == 0,
                    )
                )
            for m in range(size.members_per_account):
                customers.append(
                    (
                        user(f"{prefix}{account.number.lower()}.member{m}"),
                        account,
                        MembershipRole.MEMBER,
                        False,
                    )
                )
        with transaction.atomic():
            User.objects.bulk_create([row[0] for row in customers])
            saved = {
                u.username: u
                for u in User.objects.filter(username__in=[row[0].username for row in customers])
            }
            rows = [(saved[u.username], a, role, primary) for u, a, role, primary in customers]
            for i, account in chunk:
                rows.append(
                    (
                        reps[i // size.accounts_per_rep],
                        account,
                        MembershipRole.REPRESENTATIVE,
                        False,
                    )
                )
                rep_of[account.pk] = reps[i // size.accounts_per_rep].pk
            Membership.objects.bulk_create(
                [Membership(account=a, user=u, role=role, is_primary=p) for u, a, role, p in rows]
            )
            grant_in_bulk([(u, a, role) for u, a, role, _ in rows])
        for u, a, role, _primary in rows:  # the primary contact comes first
            if role == MembershipRole.BILLING_CONTACT:
                contacts.setdefault(a.pk, []).append(u.pk)
        done += len(chunk)
        progress.bar("people", done, size.accounts)
    return People(
        accounts, contacts, rep_of, reps, by_name[f"{prefix}dealdesk"], by_name[f"{prefix}finance"]
    )


# --- quote templates, built through the real services and flow -------------------------------


def _product() -> Product:
    item, _ = Product.objects.get_or_create(
        sku="OV-SEAT-STD", defaults={"name": "OpenVoice Standard seat", "unit": "seat / month"}
    )
    for currency, frequency, amount in (
        ("USD", BillingFrequency.ANNUALLY, "240.00"),
        ("USD", BillingFrequency.MONTHLY, "24.00"),
        ("EUR", BillingFrequency.ANNUALLY, "220.00"),
    ):
        Price.objects.get_or_create(
            product=item,
            currency=currency,
            billing_frequency=frequency,
            defaults={"list_price": Decimal(amount)},
        )
    return item


def _ensure_rules() -> None:
    import importlib

    defaults = importlib.import_module("quotes.migrations.0002_default_approval_rules").DEFAULTS
    for name, kind, threshold in defaults:
        ApprovalRule.objects.get_or_create(kind=kind, threshold=threshold, defaults={"name": name})


def _lines(item: Product, count: int, *, discount="0", price="240.00") -> list[LineInput]:
    return [
        LineInput(
            product=item,
            quantity=Decimal(10 + i % 7),
            unit_price=Decimal(price),
            discount_percent=Decimal(discount) if i == 0 else Decimal(0),
            description=f"Site {i + 1}",
        )
        for i in range(count)
    ]


def build_quote(account: Account, rep: User, *, lines: int, discount="0", title="Renewal"):
    """A draft quote of ``lines`` lines through the real services."""
    item = _product()
    quote = quote_services.quote_create(
        account=account, actor=rep, title=title, idempotency_key=uuid.uuid4()
    )
    assert quote.current_revision is not None  # quote_create makes revision 1
    quote_services.revision_update(
        revision=quote.current_revision,
        actor=rep,
        term_months=12,
        billing_frequency=BillingFrequency.ANNUALLY,
        valid_until=timezone.localdate() + timedelta(days=60),
        terms="Net 30",
        notes="",
        lines=_lines(item, lines, discount=discount),
    )
    quote.refresh_from_db()
    return quote


def build_template(state: str, account: Account, rep: User, contact: User, lines: int):
    """One quote in ``state``, through the real services and flow."""
    discount = "20" if state == "pending_approval" else "0"
    quote = build_quote(account, rep, lines=lines, discount=discount, title=f"Template {state}")
    if state == "draft":
        return quote
    flow_services.quote_submit(quote=quote, actor=rep)
    quote.refresh_from_db()
    if state in ("revise", "sent_again"):
        flow_services.quote_decline(
            quote=quote, actor=contact, action=Action.REQUEST_CHANGES, comment="Cheaper, please"
        )
        if state == "sent_again":
            revision = quote_services.revision_start_next(quote=quote, actor=rep)
            quote_services.revision_update(
                revision=revision,
                actor=rep,
                term_months=24,
                billing_frequency=revision.billing_frequency,
                valid_until=revision.valid_until,
                terms=revision.terms,
                notes="",
                lines=_lines(_product(), lines, price="235.00"),
            )
            flow_services.quote_submit(quote=quote, actor=rep)
    elif state == "accepted":
        flow_services.quote_accept(quote=quote, actor=contact)
    elif state == "rejected":
        flow_services.quote_decline(
            quote=quote, actor=contact, action=Action.REJECT, comment="Not this year"
        )
    elif state == "withdrawn":
        flow_services.quote_withdraw(quote=quote, actor=rep, reason="Superseded by a new offer")
    quote.refresh_from_db()
    return quote


@dataclass
class Template:
    quote: Quote
    revisions: list[QuoteRevision]
    lines: dict[int, list[QuoteLine]]
    acceptances: dict[int, Acceptance]
    events: list[AuditEvent]
    process: Process | None
    tasks: list[Task]


def load_template(quote: Quote) -> Template:
    revisions = list(QuoteRevision.objects.filter(quote=quote).order_by("number"))
    lines: dict[int, list[QuoteLine]] = {r.pk: [] for r in revisions}
    for line in QuoteLine.objects.filter(revision__quote=quote).order_by("revision", "position"):
        lines[line.revision_id].append(line)
    acceptances = {a.revision_id: a for a in Acceptance.objects.filter(revision__quote=quote)}
    events = list(
        AuditEvent.objects.filter(object_type="quotes.quote", object_id=str(quote.pk)).order_by(
            "occurred_at", "id"
        )
    )
    qp = QuoteProcess.objects.filter(quote=quote).first()
    process = Process.objects.get(pk=qp.pk) if qp else None
    tasks = list(Task.objects.filter(process_id=qp.pk).order_by("id")) if qp else []
    return Template(quote, revisions, lines, acceptances, events, process, tasks)


# --- copies ----------------------------------------------------------------------------------


class Rows:
    """Inserts rows of ``model`` built from a template row's database values with a few
    columns changed: ``COPY`` on PostgreSQL, ``executemany`` elsewhere. For rows whose keys
    nobody needs back (lines, tasks, audit events, acceptances)."""

    def __init__(self, model):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.rows: list[list] = []
        self._prepared: dict[int, list] = {}

    def add(self, template, **changes) -> None:
        base = self._prepared.get(id(template))
        if base is None:
            base = [
                f.get_db_prep_save(getattr(template, f.attname), connection) for f in self.fields
            ]
            self._prepared[id(template)] = base
        row = base.copy()
        for name, value in changes.items():
            i = self.index[name]
            # Keys and text go in as they are; anything else through its field.
            if isinstance(value, int | str) and not isinstance(self.fields[i], JSONField):
                row[i] = value
            else:
                row[i] = self.fields[i].get_db_prep_save(value, connection)
        self.rows.append(row)

    def write(self) -> None:
        if not self.rows:
            return
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in self.fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", self.rows)  # noqa: S608
        self.rows = []


def _next_numbers(count: int) -> list[str]:
    year = timezone.now().year
    counter, _ = QuoteCounter.objects.select_for_update().get_or_create(year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"Q-{year}-{n:06d}" for n in range(first, first + count)]


USER_FIELDS_REVISION = (
    "created_by_id",
    "approved_by_id",
    "submitted_by_id",
    "sent_by_id",
    "decided_by_id",
    "withdrawn_by_id",
)


def _set_current_revisions(quotes: list[Quote]) -> None:
    """One ``UPDATE … FROM (VALUES …)`` per 500 quotes (``bulk_update``'s ``CASE`` of a branch
    per row grows quadratically)."""
    if connection.vendor != "postgresql":
        Quote.objects.bulk_update(quotes, ["current_revision"], batch_size=BATCH)
        return
    table = Quote._meta.db_table
    for chunk in _batches(quotes, 500):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET current_revision_id = v.rev FROM (VALUES "  # noqa: S608
                + ", ".join(["(%s, %s)"] * len(chunk))
                + f") AS v(id, rev) WHERE {table}.id = v.id",
                [value for q in chunk for value in (q.pk, q.current_revision_id)],
            )


def copy_batch(
    jobs: list[tuple[Template, Account, dict[Any, Any]]], logins: dict[Any, str]
) -> list[Quote]:
    """Copies each template onto its account; ``dict`` maps template user ids to the account's."""
    numbers = _next_numbers(len(jobs))
    now = timezone.now()
    quotes = Quote.objects.bulk_create(
        [
            _copy(
                t.quote,
                number=number,
                account_id=account.pk,
                title=f"{account.name} {t.quote.title.replace('Template ', '')} {number[-6:]}",
                created_by_id=users.get(t.quote.created_by_id, t.quote.created_by_id),
                idempotency_key=uuid.uuid4(),
                current_revision_id=None,
                created_at=now - timedelta(milliseconds=len(jobs) - i),
            )
            for i, ((t, account, users), number) in enumerate(zip(jobs, numbers, strict=True))
        ]
    )
    if quotes and quotes[0].pk is None:
        by_number = dict(Quote.objects.filter(number__in=numbers).values_list("number", "pk"))
        for q in quotes:
            q.pk = q.id = by_number[q.number]
    revision_rows, revision_keys = [], []
    for (t, _account, users), quote in zip(jobs, quotes, strict=True):
        for r in t.revisions:
            changes = {f: users.get(getattr(r, f), getattr(r, f)) for f in USER_FIELDS_REVISION}
            revision_rows.append(_copy(r, quote_id=quote.pk, title=quote.title, **changes))
            revision_keys.append((quote, r))
    revisions = QuoteRevision.objects.bulk_create(revision_rows, batch_size=BATCH)
    if revisions and revisions[0].pk is None:
        found = {
            (q, n): pk
            for q, n, pk in QuoteRevision.objects.filter(quote__in=quotes).values_list(
                "quote_id", "number", "pk"
            )
        }
        for rev in revisions:
            rev.pk = rev.id = found[(rev.quote_id, rev.number)]
    new_revision: dict[tuple[int, int | None], int] = {}
    for rev, (quote, template_rev) in zip(revisions, revision_keys, strict=True):
        new_revision[(quote.pk, template_rev.pk)] = rev.pk
    for (t, _account, _users), quote in zip(jobs, quotes, strict=True):
        quote.current_revision_id = new_revision[(quote.pk, t.quote.current_revision_id)]
    _set_current_revisions(quotes)
    lines, acceptances, events = Rows(QuoteLine), Rows(Acceptance), Rows(AuditEvent)
    for (t, account, users), quote in zip(jobs, quotes, strict=True):
        for rid, template_lines in t.lines.items():
            revision_id = new_revision[(quote.pk, rid)]
            for line in template_lines:
                lines.add(line, revision_id=revision_id)
        for rid, a in t.acceptances.items():
            acceptances.add(
                a,
                revision_id=new_revision[(quote.pk, rid)],
                accepted_by_id=users.get(a.accepted_by_id, a.accepted_by_id),
                pdf=b"",
                # The template's stamped copy names the template's quote: re-rendered on demand.
                stamped_pdf=b"",
                stamped_pdf_sha256="",
            )
        for e in t.events:
            actor_id = users.get(e.actor_id, e.actor_id)
            changes = {}
            if "number" in e.after:
                changes["after"] = {**e.after, "number": quote.number}
            events.add(
                e,
                object_id=str(quote.pk),
                account_id=account.pk,
                actor_id=actor_id,
                actor_login=logins.get(actor_id, e.actor_login),
                **changes,
            )
    lines.write()
    acceptances.write()
    events.write()
    with_process = [(job, quote) for job, quote in zip(jobs, quotes, strict=True) if job[0].process]
    processes = Process.objects.bulk_create(
        [_copy(t.process) for (t, _a, _u), _q in with_process], batch_size=BATCH
    )
    if processes and processes[0].pk is None:  # pragma: no cover - old SQLite only
        raise RuntimeError("bulk_create returned no keys: SQLite 3.35+ or PostgreSQL needed")
    table = QuoteProcess._meta.db_table
    ptr = QuoteProcess._meta.get_field("process_ptr").column
    quote_column = QuoteProcess._meta.get_field("quote").column
    account_column = QuoteProcess._meta.get_field("account").column
    rows = [
        (p.pk, q.pk, q.account_id) for p, (_job, q) in zip(processes, with_process, strict=True)
    ]
    for chunk in _batches(rows, 500):
        with connection.cursor() as cursor:
            # Names from the model's own metadata, values as parameters.
            cursor.execute(
                f"INSERT INTO {table} ({ptr}, {quote_column}, {account_column}) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s)"] * len(chunk)),
                [value for row in chunk for value in row],
            )
    tasks = Rows(Task)
    for p, ((t, _a, users), _q) in zip(processes, with_process, strict=True):
        for task in t.tasks:
            tasks.add(task, process_id=p.pk, owner_id=users.get(task.owner_id, task.owner_id))
    tasks.write()
    return quotes


def seed(size: Size, *, write: Callable[[str], None] = print, prefix: str = "scale.") -> People:
    """Builds ``size`` of data. Returns who was made, for benchmarks and tests."""
    # Templates are built through the real services, which mail the customer: not from a seed.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return _seed(size, write=write, prefix=prefix)


class AlreadySeeded(Exception):
    pass


def _seed(size: Size, *, write: Callable[[str], None], prefix: str) -> People:
    if User.objects.filter(username__startswith=prefix).exists():
        raise AlreadySeeded(f"users with the prefix {prefix!r} exist already: pass another prefix")
    progress = Progress(write)
    progress.step(
        f"seeding {size.accounts:,} accounts, {size.quotes:,} quotes of {size.lines} lines"
    )
    _ensure_rules()
    people = build_people(size, progress, prefix)
    first = people.accounts[0]
    rep = User.objects.get(pk=people.rep_of[first.pk])
    contact = User.objects.get(pk=people.contacts[first.pk][0])
    # The template account must not require a PO: the accepted template is accepted without one.
    Account.objects.filter(pk=first.pk).update(po_required=False)
    first.po_required = False
    progress.step("building one quote per state through the real services and flow")
    templates = {
        state: load_template(build_template(state, first, rep, contact, size.lines))
        for state, _ in STATES
    }
    cycle = [state for state, weight in STATES for _ in range(weight)]
    logins = dict(User.objects.filter(username__startswith=prefix).values_list("pk", "username"))
    others = people.accounts[1:] or people.accounts
    total = max(size.quotes - len(templates), 0)
    done = 0
    for chunk in _batches(range(total), BATCH // 2):
        jobs = []
        for n in chunk:
            account = others[n % len(others)]
            template = templates[cycle[(n // len(others) + n) % len(cycle)]]
            users = {
                rep.pk: people.rep_of[account.pk],
                contact.pk: people.contacts[account.pk][0],
            }
            jobs.append((template, account, users))
        with transaction.atomic():
            copy_batch(jobs, logins)
        done += len(chunk)
        progress.bar("quotes", done, total)
    if connection.vendor == "postgresql":
        # VACUUM too, as autovacuum would after a bulk load: it sets the visibility map, without
        # which the lists' index-only scans visit the heap for every key. (Not possible inside
        # a transaction, e.g. in a test: statistics only there.)
        statement = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        progress.step(statement)
        with connection.cursor() as cursor:
            cursor.execute(statement)
    progress.step(
        f"done: {Account.objects.count():,} accounts, {User.objects.count():,} users, "
        f"{Quote.objects.count():,} quotes, {QuoteLine.objects.count():,} lines, "
        f"{Task.objects.count():,} tasks"
    )
    return people
