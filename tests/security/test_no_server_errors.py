"""A standing guard (issue 7 item 11): nothing a person can put in a URL or a form makes the
site answer 5xx.

Every URL comes from Django's URL resolver and every form from the pages themselves, so a new
URL or a new form is covered without anyone listing it. Each role signs in (the administrator
through the admin's login form) and
  * opens every page with real objects and every URL with generated values in its parameters
    and query string;
  * sends every form it can see — as the page has it with one or a few fields changed, or with
    every field anything: NUL, huge text, look-alike characters, dates like 9999-12-31 and
    0001-01-01, numbers like 1e309, -0 and NaN, values outside a select's choices.
Each example runs in a transaction that is rolled back, so examples do not see each other's
writes. A failure names the request, the exception and the file it came from.

Bounded for the suite (``FUZZ_EXAMPLES`` in the environment runs more examples).
"""

import logging
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from contacts.changes import Action as ContactChangeAction
from contacts.models import StaffRole
from finance import selectors as finance_selectors
from finance import services as finance_services
from quotes.models import Acceptance
from quotes.policy import Action
from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb
from workflows import services as flow_services

from . import fuzz
from .routes import ROUTES
from .urlmap import endpoints, project_endpoints

ROLES = ("anonymous", "member_a", "contact_a", "rep_a", "deal_desk", "finance", "admin")
# Pages anybody may open (sign-in, password reset): their forms are sent by the anonymous visitor.
PUBLIC_PAGES = {route.name for route in ROUTES if route.anonymous == 200} | {"admin:login"}
SCALE = int(os.environ.get("FUZZ_EXAMPLES", "1"))


def bounded(examples: int):
    """An example sends dozens of requests: no time limit per example, and no shrinking unless
    asked for (the failure already names the one request, its data and the exception)."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        phases=phases if SCALE == 1 else [*phases, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(autouse=True)
def _quiet_request_log():
    # Thousands of 404s and 400s are expected here; a 5xx fails the test with its exception.
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def site(world):
    """The world, the administrator, and quotes: on A a draft, one waiting for deal desk, one
    sent and one with changes requested; on B an accepted one and a sent one."""
    admin_user = factories.staff(
        StaffRole.ADMINISTRATOR, is_staff=True, is_superuser=True, username="admin.root"
    )
    draft = qb.draft_quote(world.a, world.rep_a, title="Fuzz draft")
    pending = qb.pending_approval_quote(world.a, world.rep_a, title="Fuzz pending")
    sent = qb.sent_quote(world.a, world.rep_a, title="Fuzz sent")
    changes = qb.sent_quote(world.a, world.rep_a, title="Fuzz changes requested")
    flow_services.quote_decline(
        quote=changes, actor=world.contact_a, action=Action.REQUEST_CHANGES, comment="More"
    )
    accepted = qb.sent_quote(world.b, world.rep_b, title="Fuzz accepted")
    flow_services.quote_accept(quote=accepted, actor=world.contact_b, new_po=pb.new_po("PO-1"))
    other = qb.sent_quote(world.b, world.rep_b, title="Fuzz other account")
    billing = _billing_center(world)
    # A pending contact change on each account, and one decided on A.
    contact_changes = [
        flow_services.contact_change_propose(
            account=account,
            actor=contact,
            password=factories.PASSWORD,
            kind="add",
            first_name="Fuzz",
            email=f"fuzz.{account.pk}@mail.example",
            login_id=f"fuzz.{account.pk}",
        )
        for account, contact in ((world.a, world.contact_a), (world.b, world.contact_b))
    ]
    decided = flow_services.contact_change_propose(
        account=world.a,
        actor=world.contact_a,
        password=factories.PASSWORD,
        kind="make_primary",
        target_id=world.contact_a2.pk,
    )
    flow_services.contact_change_decide(
        change=decided, actor=world.rep_a, action=ContactChangeAction.DECLINE, comment="No"
    )
    # Purchase orders: one of A with a document and a change waiting for review, one of B.
    po_a = pb.purchase_order(
        world.a,
        world.contact_a,
        "PO-FUZZ",
        document=SimpleUploadedFile("po.pdf", pb.MINIMAL_PDF, content_type="application/pdf"),
    )
    po_b = Acceptance.objects.get(revision__quote=accepted).purchase_order
    change = flow_services.po_change_propose(
        purchase_order=po_a,
        actor=world.contact_a,
        base_version=1,
        number=po_a.number,
        amount=po_a.amount + 1,
        valid_from=po_a.valid_from,
        valid_to=po_a.valid_to,
        reason="Fuzz",
    )
    # Finance's exports: one written, one still waiting for its job.
    written = finance_services.export_request(
        user=world.finance, choice="quotes", filters=finance_selectors.ExportFilters()
    )
    finance_services.export_write(export_id=written.pk, last_attempt=True)
    waiting = finance_services.export_request(
        user=world.finance, choice="all", filters=finance_selectors.ExportFilters()
    )
    export_ids = [str(written.pk), str(waiting.pk)]
    # A billing contact of A who has not set a password yet (an invitation to send again),
    # and one who has.
    invited = factories.billing_contact(world.a)
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    contact_ids = [str(invited.pk), str(world.contact_a2.pk), str(world.contact_b.pk)]
    uid, token = fuzz.reset_link(world.contact_a2)  # contact_a2 never signs in here
    people = {role: world.user(role) for role in ROLES if role not in ("anonymous", "admin")}
    people["admin"] = admin_user
    return {
        "people": people,
        "account": world.a,
        "account_numbers": [world.a.number, world.b.number, billing["number"]],
        "invoice_numbers": billing["invoice_numbers"],
        "quote_numbers": [q.number for q in (draft, pending, sent, changes, accepted, other)],
        "reset_uid": uid,
        "reset_token": token,
        "object_ids": {
            "purchase_orders:detail": [str(po_a.pk), str(po_b.pk)],
            "purchase_orders:close": [str(po_a.pk), str(po_b.pk)],
            "purchase_orders:document": [str(po_a.document_id)],
            "workflows:po_change_propose": [str(po_a.pk), str(po_b.pk)],
            "workflows:po_change_review": [str(change.pk)],
            "workflows:po_change_conflict": [str(change.pk)],
            "workflows:contact_change_decide": [str(c.pk) for c in (*contact_changes, decided)],
            "workflows:contact_change_withdraw": [str(c.pk) for c in (*contact_changes, decided)],
            **{
                f"billing_center:{name}": billing["plan_ids"]
                for name in (
                    "plan_seats",
                    "plan_frequency",
                    "plan_change",
                    "plan_cancel",
                    "plan_undo_cancel",
                    "plan_withdraw_change",
                )
            },
            "contacts:invitation_resend": contact_ids,
            "finance:export": export_ids,
            "finance:export_file": export_ids,
            "billing_center:payment_default": billing["method_ids"],
            "billing_center:payment_remove": billing["method_ids"],
        },
    }


def _billing_center(world) -> dict:
    """A self-service account C for the Billing Center's pages: contact a is its billing contact,
    member a its member and representative a its representative; it has a card on file and one
    that is not the default, a plan, one set to cancel and one with a change pending."""
    from billing_center import pricing
    from billing_center import services as billing
    from contacts import services as contact_services
    from contacts.models import MembershipRole
    from tests.billing_center import builders as bb

    c = factories.AccountFactory(number="OV-1000003", name="Gamma Studio", kind="self_service")
    for user, role, primary in (
        (world.contact_a, MembershipRole.BILLING_CONTACT, True),
        (world.member_a, MembershipRole.MEMBER, False),
        (world.rep_a, MembershipRole.REPRESENTATIVE, False),
    ):
        contact_services.membership_add(account=c, user=user, role=role, is_primary=primary)
    spare = bb.add_card(c, world.contact_a, bb.MASTERCARD)
    card = bb.add_card(c, world.contact_a)
    plans = [bb.add_plan(c, world.contact_a, quantity=n) for n in (5, 3, 4)]
    billing.subscription_cancel(actor=world.contact_a, subscription=plans[1])
    preview = pricing.seats_preview(subscription=plans[2], quantity=2, today=pricing.local_today(c))
    billing.subscription_change_seats(
        actor=world.contact_a,
        subscription=plans[2],
        quantity=2,
        charge_now=preview.charge_now,
        effective_on=preview.effective_on,
    )
    return {
        "number": c.number,
        "plan_ids": [str(p.pk) for p in plans],
        "invoice_numbers": list(c.invoices.values_list("number", flat=True)),
        "method_ids": [str(spare.pk), str(card.pk)],
    }


def endpoints_for(role):
    """The administrator is fuzzed on the admin too; others only meet its login page."""
    if role == "admin":
        return endpoints()
    return [*project_endpoints(), *(e for e in endpoints() if e.name == "admin:login")]


def crawl(role, site) -> list[fuzz.Form]:
    """Opens every page the role can reach with real objects and collects the forms on them.
    Views that take only POST get a form without fields. Any 5xx fails the test at once."""
    client = fuzz.sign_in(role, site["people"])
    forms, errors, post_only = {}, [], set()
    for endpoint in endpoints_for(role):
        for path in fuzz.real_paths(endpoint, site):
            if role != "anonymous" and not fuzz.signed_in(client):
                client = fuzz.sign_in(role, site["people"])
            if "logout" in endpoint.name:
                response = None
            else:
                try:
                    response = fuzz.send(client, "GET", path, what=f"as {role}")
                except fuzz.ServerError as exc:
                    errors.append(str(exc))
                    continue
            if response is None or response.status_code == 405:
                # Only POST: one bare form per URL pattern (the URL test tries every object).
                if endpoint.name not in post_only:
                    post_only.add(endpoint.name)
                    forms.setdefault(("POST", path, ()), fuzz.Form(path, "POST", path, {}))
                continue
            final = response.request["PATH_INFO"]
            content_type = response.get("Content-Type", "")
            if response.status_code != 200 or not content_type.startswith("text/html"):
                continue
            html = response.content.decode()
            for form in fuzz.forms_on(final, html):
                if role != "anonymous" and resolve(final).view_name in PUBLIC_PAGES:
                    continue  # the anonymous visitor sends the forms of public pages
                form.visit_first = final != path
                forms.setdefault(form.key, form)
            for form in fuzz.link_forms(final, html):
                merged = forms.setdefault(("links", form.action), form)
                for name, fld in form.fields.items():
                    merged.fields.setdefault(name, fld)
    assert errors == [], "pages that answer 5xx with real objects:\n" + "\n".join(errors)
    return sorted(forms.values(), key=lambda f: (f.action, f.method, sorted(f.fields)))


@pytest.mark.parametrize("role", ROLES)
def test_no_form_sends_the_site_into_a_server_error(role, site):
    # Given every form the role can see, found on the pages themselves
    forms = crawl(role, site)
    assert forms, role

    # The administrator's ~80 admin forms (~300 fields) are too many to change one field at a
    # time within the suite's budget: they get the several-fields-at-once submission only.
    sweep = fuzz.swept_fields if role != "admin" else lambda form: []

    @bounded(examples=1 if role == "admin" else 3)
    @given(st.data())
    def any_submission(data):
        with transaction.atomic():
            client = fuzz.sign_in(role, site["people"])

            def submit(form, values):
                nonlocal client
                if role != "anonymous" and not fuzz.signed_in(client):
                    client = fuzz.sign_in(role, site["people"])
                if form.visit_first:
                    fuzz.send(client, "GET", form.page, what=f"as {role}")
                # Then the answer is never a server error
                fuzz.send(client, form.method, form.action, values, what=f"as {role}")

            for form in forms:
                label = f"{form.method} {form.action}"
                # When they send it with one field changed (each field in turn)
                for name in sweep(form):
                    value = data.draw(fuzz.value_for(form.fields[name]), label=f"{label} {name}")
                    submit(form, fuzz.with_value(form, name, value))
                # And with several fields changed, or all
                submit(form, data.draw(fuzz.anything(form), label=label))
            transaction.set_rollback(True)

    any_submission()


@pytest.mark.parametrize("role", ROLES)
def test_no_url_sends_the_site_into_a_server_error(role, site):
    # Given every URL pattern, with real objects or anything in its parameters
    patterns = [(e, fuzz.real_values(e, site)) for e in endpoints_for(role) if e.kwarg_names]
    others = [e for e in endpoints_for(role) if not e.kwarg_names]

    def parameter(real):
        return st.one_of(st.sampled_from(real), fuzz.TEXT, fuzz.NUMBERS, fuzz.DATES)

    @bounded(examples=1 if role == "admin" else 3)
    @given(st.data())
    def any_url(data):
        with transaction.atomic():
            client = fuzz.sign_in(role, site["people"])
            method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
            for endpoint, real in patterns:
                values = {
                    name: data.draw(parameter(real[name]), label=f"{endpoint.name} <{name}>")
                    for name in endpoint.kwarg_names
                }
                path = endpoint.path(**{k: str(v) for k, v in values.items()})
                query = data.draw(fuzz.QUERIES, label="query")
                # When they open it
                # Then the answer is never a server error
                fuzz.send(client, method, fuzz.with_query(path, query), what=f"as {role}")
                if role != "anonymous" and not fuzz.signed_in(client):
                    client = fuzz.sign_in(role, site["people"])
            for endpoint in others:
                if "logout" in endpoint.name:
                    continue
                query = data.draw(fuzz.QUERIES, label=f"{endpoint.name} query")
                fuzz.send(client, method, fuzz.with_query(endpoint.path(), query), what=role)
            transaction.set_rollback(True)

    any_url()
