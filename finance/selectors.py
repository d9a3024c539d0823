"""Finance's reads: the registers' rows for the exports, in batches, and the dashboards'
figures, aggregated by the database. Every read is scoped through ``contacts.permissions``
(quotes and invoices: ``view_billing``; purchase orders: whoever reads the ledger, as
``purchase_orders.selectors.readable`` decides).

The registers read with ``values(...).iterator(chunk_size=BATCH)``: one query per register
whatever its size (PostgreSQL: a server-side cursor; SQLite: one cursor read in chunks), never
a whole table in memory. The dashboards read a fixed set of grouped queries: their cost does
not grow with the number of rows, only the database's work does.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim, TruncMonth
from django.http import Http404
from django.utils import timezone

from billing_center.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from contacts.models import Account, User
from contacts.permissions import has_all_accounts, scoped_to_accounts
from purchase_orders import selectors as po_selectors
from purchase_orders.models import ChangeStatus, POStatus, PurchaseOrder, PurchaseOrderChange
from quotes.models import Acceptance, Quote, QuoteLine, QuoteRevision, RevisionStatus
from quotes.money import round_money

from .exports import REGISTERS
from .models import Export

# The staff-wide right of finance (``contacts.permissions.STAFF_WIDE_PERMISSIONS``).
EXPORT_RIGHT = "export_finance"
READ_RIGHT = "view_billing"
BATCH = 2000


def may_export(user: Any) -> bool:
    return has_all_accounts(user, EXPORT_RIGHT)


def may_see_dashboard(user: Any) -> bool:
    """Vendor staff: finance and deal desk on every account, a representative on theirs."""
    return bool(user.is_authenticated and user.is_active and user.is_vendor_staff)


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    account: Account | None = None
    status: str = ""
    currency: str = ""

    def as_json(self) -> dict[str, Any]:
        """The filters as JSON for an export's row; ``export_filters_load`` rebuilds them."""
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "account": self.account.pk if self.account is not None else None,
            "status": self.status,
            "currency": self.currency,
        }

    def describe(self, date_label: str) -> str:
        parts = []
        if self.date_from or self.date_to:
            start = self.date_from.isoformat() if self.date_from else "the start"
            end = self.date_to.isoformat() if self.date_to else "today"
            parts.append(f"{date_label} {start} to {end}")
        if self.account is not None:
            parts.append(f"account {self.account.number} {self.account.name}")
        if self.status:
            parts.append(f"status {STATUS_LABELS.get(self.status, self.status)}")
        if self.currency:
            parts.append(f"currency {self.currency}")
        return "; ".join(parts) if parts else "all rows"


STATUS_LABELS: dict[str, str] = {
    **dict(RevisionStatus.choices),
    **dict(POStatus.choices),
    **dict(ChangeStatus.choices),
    **dict(InvoiceStatus.choices),
}
# Every status a register can be filtered by, by register (the form offers their union).
STATUSES: dict[str, set[str]] = {
    "quotes": set(RevisionStatus.values),
    "quote_lines": set(RevisionStatus.values),
    "purchase_orders": set(POStatus.values),
    "po_changes": set(ChangeStatus.values),
    "invoices": set(InvoiceStatus.values),
    "invoice_lines": set(InvoiceStatus.values),
}


def _filtered(
    queryset: QuerySet,
    filters: ExportFilters,
    *,
    account: str,
    date: str,
    status: str,
    currency: str,
    register: str,
) -> QuerySet:
    if filters.date_from:
        queryset = queryset.filter(**{f"{date}__gte": filters.date_from})
    if filters.date_to:
        queryset = queryset.filter(**{f"{date}__lte": filters.date_to})
    if filters.account is not None:
        queryset = queryset.filter(**{account: filters.account})
    if filters.status:
        if filters.status not in STATUSES[register]:
            # A status this register does not have: nothing matches, rather than everything.
            return queryset.none()
        queryset = queryset.filter(**{status: filters.status})
    if filters.currency:
        queryset = queryset.filter(**{currency: filters.currency})
    return queryset


def _name(first: str | None, last: str | None, username: str | None) -> str:
    full = f"{first or ''} {last or ''}".strip()
    return full or (username or "")


def _person(prefix: str) -> tuple[str, str, str]:
    return (f"{prefix}__first_name", f"{prefix}__last_name", f"{prefix}__username")


def _full_name(prefix: str) -> Coalesce:
    """The person's "first last", or their login ID when they gave no name, as SQL (as
    ``User.display_name`` has it)."""
    full = Trim(Concat(F(f"{prefix}__first_name"), Value(" "), F(f"{prefix}__last_name")))
    return Coalesce(NullIf(full, Value("")), F(f"{prefix}__username"))


def _label(field_name: str, choices: list[tuple[str, str]]) -> Case:
    """A status's label, as SQL."""
    return Case(
        *[When(**{field_name: value}, then=Value(label)) for value, label in choices],
        default=F(field_name),
        output_field=CharField(),
    )


def _person_of(row: dict, prefix: str) -> str:
    return _name(*(row[key] for key in _person(prefix)))


# --- the registers -------------------------------------------------------------------------------


def _quotes(user: User, filters: ExportFilters) -> Iterator[dict]:
    revisions = _filtered(
        scoped_to_accounts(QuoteRevision.objects.all(), user, READ_RIGHT, field="quote__account"),
        filters,
        account="quote__account",
        date="created_at__date",
        status="status",
        currency="currency",
        register="quotes",
    )
    # Tuples in the register's column order, labels and full names made by the database: the
    # rows go to the sheet as the database driver makes them (this is the register people
    # export at 100,000 rows).
    expressions = {
        "quote_number": F("quote__number"),
        "revision": F("number"),
        "account_number": F("quote__account__number"),
        "account_name": F("quote__account__name"),
        "title": F("quote__title"),
        "representative": _full_name("quote__created_by"),
        "status": _label("status", RevisionStatus.choices),
        "po_number": F("acceptance__po_number"),
        "approver": _full_name("approved_by"),
    }
    keys = [column.key for column in REGISTERS["quotes"].columns]
    rows = (
        # The unique (quote, number) index serves this order: no sort of the whole register
        # (quote ids follow quote numbers, both issued in sequence).
        revisions.order_by("quote_id", "number")
        .annotate(**{f"x_{key}": value for key, value in expressions.items()})
        .values_list(*[f"x_{key}" if key in expressions else key for key in keys])
    )
    yield from rows.iterator(chunk_size=BATCH)


def _quote_lines(user: User, filters: ExportFilters) -> Iterator[dict]:
    lines = _filtered(
        scoped_to_accounts(
            QuoteLine.objects.all(), user, READ_RIGHT, field="revision__quote__account"
        ),
        filters,
        account="revision__quote__account",
        date="revision__created_at__date",
        status="revision__status",
        currency="revision__currency",
        register="quote_lines",
    )
    rows = lines.order_by("revision_id", "position").values(
        "revision__quote__number",
        "revision__number",
        "revision__quote__account__number",
        "revision__status",
        "position",
        "sku",
        "name",
        "description",
        "unit",
        "quantity",
        "list_price",
        "unit_price",
        "discount_percent",
        "gross_amount",
        "discount_amount",
        "net_amount",
        "revision__currency",
    )
    for row in rows.iterator(chunk_size=BATCH):
        row["quote_number"] = row.pop("revision__quote__number")
        row["revision"] = row.pop("revision__number")
        row["account_number"] = row.pop("revision__quote__account__number")
        row["status"] = STATUS_LABELS[row.pop("revision__status")]
        row["currency"] = row.pop("revision__currency")
        yield row


def _local_today(zone: str, cache: dict[str, datetime.date]) -> datetime.date:
    if zone not in cache:
        cache[zone] = timezone.now().astimezone(ZoneInfo(zone)).date()
    return cache[zone]


def _purchase_orders(user: User, filters: ExportFilters) -> Iterator[dict]:
    pos = _filtered(
        po_selectors.readable(PurchaseOrder.objects.all(), user),
        filters,
        account="account",
        date="created_at__date",
        status="status",
        currency="currency",
        register="purchase_orders",
    )
    rows = (
        po_selectors.with_figures(pos)
        .order_by("account__number", "number", "id")
        .values(
            "number",
            "account__number",
            "account__name",
            "account__time_zone",
            "status",
            "valid_from",
            "valid_to",
            "amount",
            "drawn",
            "remaining",
            "currency",
            "version",
            *_person("created_by"),
            "created_at",
        )
    )
    todays: dict[str, datetime.date] = {}
    for row in rows.iterator(chunk_size=BATCH):
        status = row["status"]
        # As the ledger shows it: an active PO past its last day (where the customer is) has
        # expired, whether or not the nightly job has marked it yet.
        if status == POStatus.ACTIVE and row["valid_to"] < _local_today(
            row["account__time_zone"], todays
        ):
            status = POStatus.EXPIRED
        yield {
            "number": row["number"],
            "account_number": row["account__number"],
            "account_name": row["account__name"],
            "status": STATUS_LABELS[status],
            "valid_from": row["valid_from"],
            "valid_to": row["valid_to"],
            "amount": row["amount"],
            "drawn": row["drawn"],
            "remaining": row["remaining"],
            "currency": row["currency"],
            "version": row["version"],
            "created_by": _person_of(row, "created_by"),
            "created_at": row["created_at"],
        }


def _snapshot_value(snapshot: dict, key: str) -> Any:
    value = snapshot.get(key)
    if value in (None, ""):
        return None
    if key == "amount":
        return Decimal(str(value))
    if key in ("valid_from", "valid_to"):
        return datetime.date.fromisoformat(str(value))
    return str(value)


def _po_changes(user: User, filters: ExportFilters) -> Iterator[dict]:
    changes = _filtered(
        po_selectors.readable(
            PurchaseOrderChange.objects.all(), user, field="purchase_order__account"
        ),
        filters,
        account="purchase_order__account",
        date="proposed_at__date",
        status="status",
        currency="purchase_order__currency",
        register="po_changes",
    )
    rows = changes.order_by("proposed_at", "id").values(
        "purchase_order__number",
        "purchase_order__account__number",
        "purchase_order__currency",
        "status",
        "before",
        "after",
        "reason",
        *_person("proposed_by"),
        "proposed_at",
        *_person("decided_by"),
        "decided_at",
        "comment",
    )
    for row in rows.iterator(chunk_size=BATCH):
        before, after = row["before"] or {}, row["after"] or {}
        found = {
            "po_number": row["purchase_order__number"],
            "account_number": row["purchase_order__account__number"],
            "currency": row["purchase_order__currency"],
            "status": STATUS_LABELS[row["status"]],
            "reason": row["reason"],
            "proposed_by": _person_of(row, "proposed_by"),
            "proposed_at": row["proposed_at"],
            "decided_by": _person_of(row, "decided_by"),
            "decided_at": row["decided_at"],
            "comment": row["comment"],
        }
        for key in ("number", "amount", "valid_from", "valid_to"):
            found[f"{key}_before"] = _snapshot_value(before, key)
            found[f"{key}_after"] = _snapshot_value(after, key)
        yield found


KIND_LABELS = dict(InvoiceKind.choices)


def _invoices(user: User, filters: ExportFilters) -> Iterator[dict]:
    invoices = _filtered(
        scoped_to_accounts(Invoice.objects.all(), user, READ_RIGHT),
        filters,
        account="account",
        date="issued_on",
        status="status",
        currency="currency",
        register="invoices",
    )
    rows = invoices.order_by("issued_on", "id").values(
        "number",
        "account__number",
        "account__name",
        "kind",
        "issued_on",
        "period_start",
        "period_end",
        "subtotal",
        "tax",
        "total",
        "currency",
        "status",
        "paid_at",
        "paid_with",
        "billed_to_login",
        "billed_to_name",
    )
    for row in rows.iterator(chunk_size=BATCH):
        row["account_number"] = row.pop("account__number")
        row["account_name"] = row.pop("account__name")
        row["kind"] = KIND_LABELS.get(row["kind"], row["kind"])
        row["status"] = STATUS_LABELS[row["status"]]
        yield row


def _invoice_lines(user: User, filters: ExportFilters) -> Iterator[dict]:
    lines = _filtered(
        scoped_to_accounts(InvoiceLine.objects.all(), user, READ_RIGHT, field="invoice__account"),
        filters,
        account="invoice__account",
        date="invoice__issued_on",
        status="invoice__status",
        currency="invoice__currency",
        register="invoice_lines",
    )
    rows = lines.order_by("invoice__issued_on", "invoice_id", "position").values(
        "invoice__number",
        "invoice__account__number",
        "invoice__issued_on",
        "invoice__status",
        "position",
        "description",
        "quantity",
        "unit_price",
        "amount",
        "invoice__currency",
    )
    for row in rows.iterator(chunk_size=BATCH):
        row["invoice_number"] = row.pop("invoice__number")
        row["account_number"] = row.pop("invoice__account__number")
        row["issued_on"] = row.pop("invoice__issued_on")
        row["status"] = STATUS_LABELS[row.pop("invoice__status")]
        row["currency"] = row.pop("invoice__currency")
        yield row


_READERS = {
    "quotes": _quotes,
    "quote_lines": _quote_lines,
    "purchase_orders": _purchase_orders,
    "po_changes": _po_changes,
    "invoices": _invoices,
    "invoice_lines": _invoice_lines,
}


def register_rows(*, user: User, register: str, filters: ExportFilters) -> Iterator[dict]:
    """The rows of ``register`` that ``user`` may export, in batches; nothing for anybody
    without finance's export right (the views answer them 404 before they get here)."""
    if not may_export(user):
        return iter(())
    return _READERS[register](user, filters)


class ExportFiltersGone(Exception):
    """The filters of a stored export name what the person may no longer export."""


def export_filters_load(*, user: User, data: dict[str, Any]) -> ExportFilters:
    """The filters ``ExportFilters.as_json`` stored, rebuilt for ``user``: the account is read
    again through their scope, so a right lost since the request is not bypassed by the job."""
    account = None
    if data.get("account") is not None:
        account = (
            scoped_to_accounts(Account.objects.all(), user, READ_RIGHT, field="pk")
            .filter(pk=data["account"])
            .first()
            if may_export(user)
            else None
        )
        if account is None:
            raise ExportFiltersGone("The account of this export is no longer yours to export.")
    day = datetime.date.fromisoformat
    return ExportFilters(
        date_from=day(data["date_from"]) if data.get("date_from") else None,
        date_to=day(data["date_to"]) if data.get("date_to") else None,
        account=account,
        status=data.get("status", ""),
        currency=data.get("currency", ""),
    )


def export_accounts(*, user: User, number: str) -> Account | None:
    """The account ``number`` for the export filter, if ``user`` may export it."""
    if not may_export(user):
        return None
    return (
        scoped_to_accounts(Account.objects.all(), user, READ_RIGHT, field="pk")
        .filter(number=number)
        .first()
    )


# --- stored exports (the job's rows) ------------------------------------------------------------

# The exports page lists a person's exports newest first (index ``finance_export_mine``).
EXPORT_LIST_ORDER = ["-created_at", "-id"]


def exports_of(user: User) -> QuerySet[Export]:
    """The exports ``user`` asked for, while they may still export; nothing otherwise."""
    if not may_export(user):
        return Export.objects.none()
    return Export.objects.filter(requested_by=user).order_by(*EXPORT_LIST_ORDER)


def export_get_for_user(*, user: User, pk: int) -> Export:
    """The export ``pk`` if ``user`` asked for it and may still export: another person's
    export, anyone's for someone who lost the right, and a missing one are the same 404."""
    export = exports_of(user).filter(pk=pk).first()
    if export is None:
        raise Http404("No such export")
    return export


# --- dashboards ----------------------------------------------------------------------------------

OPEN = (
    RevisionStatus.DRAFT,
    RevisionStatus.PENDING_APPROVAL,
    RevisionStatus.PENDING_FINANCE,
    RevisionStatus.SENT,
    # Accepted by one billing contact of two: not won until the second signs.
    RevisionStatus.AWAITING_SECOND,
    RevisionStatus.CHANGES_REQUESTED,
)
WON = (RevisionStatus.ACCEPTED,)
LOST = (RevisionStatus.REJECTED, RevisionStatus.EXPIRED, RevisionStatus.WITHDRAWN)
GROUPS: dict[str, tuple[str, ...]] = {"open": OPEN, "won": WON, "lost": LOST}
GROUP_LABELS = {"open": "Open", "won": "Won", "lost": "Lost"}
# What a customer did with a revision sent to them (superseded: they asked for changes and a
# new revision replaced it).
OUTCOMES = (
    RevisionStatus.ACCEPTED,
    RevisionStatus.REJECTED,
    RevisionStatus.CHANGES_REQUESTED,
    RevisionStatus.SUPERSEDED,
    RevisionStatus.EXPIRED,
    RevisionStatus.WITHDRAWN,
)
EXPIRY_DAYS = 30
EXPIRY_BUCKETS = ((0, 7), (8, 14), (15, 21), (22, 30))
MONTHS = 12
TOP_ACCOUNTS = 10


@dataclass
class Turnaround:
    label: str
    count: int
    median: datetime.timedelta | None
    p90: datetime.timedelta | None


@dataclass
class Dashboard:
    currency: str
    currencies: list[str]
    today: datetime.date
    months: list[datetime.date]
    by_status: list[tuple[str, str, int, Decimal]] = field(default_factory=list)
    """(status, label, quotes, value in ``currency``) for every status that has quotes."""
    by_month: list[tuple[datetime.date, dict[str, Decimal]]] = field(default_factory=list)
    """(first day of the month, value per group: open / won / lost)."""
    expiring_quotes: list[int] = field(default_factory=list)
    expiring_pos: list[int] = field(default_factory=list)
    reads_pos: bool = False
    po_usage: list[dict[str, Any]] = field(default_factory=list)
    turnaround: list[Turnaround] = field(default_factory=list)
    acceptance: list[tuple[datetime.date, int, int]] = field(default_factory=list)
    """(month sent, accepted, decided) per month."""

    @property
    def accepted(self) -> int:
        return sum(row[1] for row in self.acceptance)

    @property
    def decided(self) -> int:
        return sum(row[2] for row in self.acceptance)

    @property
    def acceptance_rate(self) -> Decimal | None:
        if not self.decided:
            return None
        return (Decimal(self.accepted) * 100 / self.decided).quantize(Decimal("0.1"))


def visible_quotes(user: User) -> QuerySet[Quote]:
    if not may_see_dashboard(user):
        return Quote.objects.none()
    return scoped_to_accounts(Quote.objects.all(), user, READ_RIGHT)


def visible_revisions(user: User) -> QuerySet[QuoteRevision]:
    if not may_see_dashboard(user):
        return QuoteRevision.objects.none()
    return scoped_to_accounts(QuoteRevision.objects.all(), user, READ_RIGHT, field="quote__account")


def _month_start(day: datetime.date, back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def _money(value: Any, currency: str) -> Decimal:
    # SQLite sums decimals as REAL: the one rounding rule makes both databases agree.
    return round_money(Decimal(str(value or 0)), currency)


def _nth(durations: QuerySet, index: int) -> datetime.timedelta | None:
    found = list(durations[index : index + 1])
    return found[0] if found else None


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_disc``: the smallest value with at least ``fraction`` of the
    values at or below it (nearest rank, as the portable path below picks it)."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any):
        super().__init__(expression, fraction=float(fraction), **extra)


def _turnaround(
    revisions: QuerySet, start: str, end: str, label: str, since: datetime.datetime
) -> Turnaround:
    """Median and 90th percentile (nearest rank) of ``end - start``, picked by the database:
    a count and one ordered row each, whatever the number of revisions."""
    took = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    measured = revisions.filter(
        **{f"{start}__isnull": False, f"{end}__isnull": False, f"{end}__gte": since}
    )
    if connection.vendor == "postgresql":
        # One sort for all three figures (PostgreSQL's ordered-set aggregate).
        found = measured.aggregate(
            count=Count("id"),
            median=Percentile(took, fraction=0.5),
            p90=Percentile(took, fraction=0.9),
        )
        return Turnaround(label, found["count"], found["median"], found["p90"])
    durations = measured.annotate(took=took).order_by("took").values_list("took", flat=True)
    count = durations.count()
    if not count:
        return Turnaround(label, 0, None, None)
    # Nearest rank: the smallest value with at least p % of the values at or below it.
    median = _nth(durations, (count + 1) // 2 - 1)
    p90 = _nth(durations, -(-count * 9 // 10) - 1)
    return Turnaround(label, count, median, p90)


def dashboard(*, user: User, currency: str = "") -> Dashboard:
    """What ``user``'s dashboard shows: every figure of the accounts they see, in a fixed
    number of grouped queries (about fifteen) whatever the number of quotes or POs."""
    now = timezone.now()
    today = timezone.localdate(now)
    quotes = visible_quotes(user)
    revisions = visible_revisions(user)
    # Every currency and status in one pass: the currencies offered (most quotes first) and
    # the chosen currency's pipeline by status.
    grouped = list(
        quotes.filter(current_revision__isnull=False)
        .values_list("current_revision__currency", "current_revision__status")
        .annotate(n=Count("id"), value=Sum("current_revision__total"))
        .order_by()
    )
    per_currency: dict[str, int] = {}
    for code, _status, n, _value in grouped:
        per_currency[code] = per_currency.get(code, 0) + n
    present = sorted(per_currency, key=lambda code: (-per_currency[code], code))
    chosen = currency if currency in present else (present[0] if present else "USD")
    months = [_month_start(today, back) for back in range(MONTHS - 1, -1, -1)]
    result = Dashboard(currency=chosen, currencies=present, today=today, months=months)

    in_currency = quotes.filter(current_revision__currency=chosen)
    labels = dict(RevisionStatus.choices)
    for code, status, n, value in grouped:
        if code == chosen:
            result.by_status.append((status, labels[status], n, _money(value, chosen)))
    order = list(RevisionStatus.values)
    result.by_status.sort(key=lambda r: order.index(r[0]))

    since = timezone.make_aware(datetime.datetime.combine(months[0], datetime.time()))
    per_month: dict[datetime.date, dict[str, Decimal]] = {
        m: {g: Decimal(0) for g in GROUPS} for m in months
    }
    group_of = {status: g for g, statuses in GROUPS.items() for status in statuses}
    for month_row in (
        in_currency.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "current_revision__status")
        .annotate(value=Sum("current_revision__total"))
        .order_by("month")
    ):
        month = _as_date(month_row["month"])
        group = group_of.get(month_row["current_revision__status"])
        if month in per_month and group:
            per_month[month][group] += _money(month_row["value"], chosen)
    result.by_month = list(per_month.items())

    result.expiring_quotes = _expiring(
        quotes.filter(current_revision__status=RevisionStatus.SENT),
        "current_revision__valid_until",
        today,
    )
    result.reads_pos = po_selectors.may_read_some_ledger(user)
    if result.reads_pos:
        pos = po_selectors.readable(PurchaseOrder.objects.all(), user)
        result.expiring_pos = _expiring(pos.filter(status=POStatus.ACTIVE), "valid_to", today)
        result.po_usage = _po_usage(pos, chosen, today)

    result.turnaround = [
        _turnaround(revisions, "submitted_at", "approved_at", "Deal-desk approval", since),
        _turnaround(revisions, "sent_at", "decided_at", "Customer decision", since),
    ]
    acceptance = {m: [0, 0] for m in months}
    for rate_row in (
        revisions.filter(sent_at__gte=since)
        .annotate(month=TruncMonth("sent_at"))
        .values("month")
        .annotate(
            accepted=Count("id", filter=Q(status=RevisionStatus.ACCEPTED)),
            decided=Count("id", filter=Q(status__in=OUTCOMES)),
        )
        .order_by("month")
    ):
        month = _as_date(rate_row["month"])
        if month in acceptance:
            acceptance[month] = [rate_row["accepted"], rate_row["decided"]]
    result.acceptance = [(m, a, d) for m, (a, d) in acceptance.items()]
    return result


def _expiring(queryset: QuerySet, field_name: str, today: datetime.date) -> list[int]:
    """How many of ``queryset`` end in each of the next 30 days' buckets, in one query."""
    counts = queryset.aggregate(
        **{
            f"b{i}": Count(
                "id",
                filter=Q(
                    **{
                        f"{field_name}__gte": today + datetime.timedelta(days=low),
                        f"{field_name}__lte": today + datetime.timedelta(days=high),
                    }
                ),
            )
            for i, (low, high) in enumerate(EXPIRY_BUCKETS)
        }
    )
    return [counts[f"b{i}"] for i in range(len(EXPIRY_BUCKETS))]


def _po_usage(pos: QuerySet, currency: str, today: datetime.date) -> list[dict[str, Any]]:
    """The accounts with the largest authorised amounts on POs in force (active, valid today)
    in ``currency``, and how much of it accepted quotes have drawn: two grouped queries."""
    in_force = pos.filter(
        status=POStatus.ACTIVE, currency=currency, valid_from__lte=today, valid_to__gte=today
    )
    top = list(
        in_force.values("account_id", "account__number", "account__name")
        .annotate(amount=Sum("amount"), pos=Count("id"))
        .order_by("-amount", "account__number")[:TOP_ACCOUNTS]
    )
    ids = [row["account_id"] for row in top]
    drawn = dict(
        Acceptance.objects.filter(
            purchase_order__in=in_force.filter(account_id__in=ids).values("pk")
        )
        .values("purchase_order__account_id")
        .annotate(t=Sum("revision__total"))
        .order_by()
        .values_list("purchase_order__account_id", "t")
    )
    usage = []
    for row in top:
        amount = _money(row["amount"], currency)
        used = _money(drawn.get(row["account_id"]), currency)
        usage.append(
            {
                "number": row["account__number"],
                "name": row["account__name"],
                "pos": row["pos"],
                "amount": amount,
                "drawn": used,
                "remaining": amount - used,
                "percent": (used * 100 / amount).quantize(Decimal(1)) if amount else Decimal(0),
            }
        )
    return usage


# --- the lists behind the charts -----------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    status: str = ""
    group: str = ""
    month: datetime.date | None = None
    currency: str = ""
    expiring: bool = False
    approved: bool = False
    sent_month: datetime.date | None = None


def _month_range(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(month, datetime.time()))
    following = _month_start(month, -1)
    return start, timezone.make_aware(datetime.datetime.combine(following, datetime.time()))


def quotes_behind(*, user: User, filters: ListFilters) -> QuerySet[Quote]:
    """The quotes a chart counted, newest first (``quotes.selectors.QUOTE_LIST_ORDER``): page
    it with ``keyset_page(..., rows=quotes.selectors.quote_list_rows)``."""
    quotes = visible_quotes(user)
    if filters.status:
        quotes = quotes.filter(current_revision__status=filters.status)
    if filters.group in GROUPS:
        quotes = quotes.filter(current_revision__status__in=GROUPS[filters.group])
    if filters.currency:
        quotes = quotes.filter(current_revision__currency=filters.currency)
    if filters.month is not None:
        start, end = _month_range(filters.month)
        quotes = quotes.filter(created_at__gte=start, created_at__lt=end)
    if filters.expiring:
        today = timezone.localdate()
        quotes = quotes.filter(
            current_revision__status=RevisionStatus.SENT,
            current_revision__valid_until__gte=today,
            current_revision__valid_until__lte=today + datetime.timedelta(days=EXPIRY_DAYS),
        )
    if filters.approved:
        approved = QuoteRevision.objects.filter(quote=OuterRef("pk"), approved_at__isnull=False)
        quotes = quotes.filter(Exists(approved))
    if filters.sent_month is not None:
        start, end = _month_range(filters.sent_month)
        sent = QuoteRevision.objects.filter(
            quote=OuterRef("pk"), sent_at__gte=start, sent_at__lt=end
        )
        quotes = quotes.filter(Exists(sent))
    return quotes.order_by("-created_at", "-id")


def pos_behind(*, user: User, expiring: bool, account: str = "") -> QuerySet[PurchaseOrder]:
    """The POs a chart counted, in the ledger's order (``purchase_orders.selectors.LIST_ORDER``)."""
    if not may_see_dashboard(user):
        return PurchaseOrder.objects.none()
    pos = po_selectors.readable(PurchaseOrder.objects.all(), user)
    if expiring:
        today = timezone.localdate()
        pos = pos.filter(
            status=POStatus.ACTIVE,
            valid_to__gte=today,
            valid_to__lte=today + datetime.timedelta(days=EXPIRY_DAYS),
        )
    if account:
        pos = pos.filter(account__number=account)
    return pos.order_by(*po_selectors.LIST_ORDER)
