"""The access matrix: every URL the project serves, one row each.

A row is one (URL name, HTTP method) and says which roles may use it and with which status;
everything not listed is denied with 404 (deny by default). A URL whose pattern has parameters
names its object (``obj=``): the matrix checks each role against its own account's object, the
other account's object and a missing one; "other" and "missing" must give the same 404 to
everyone scoped to one account. Public pages that do not depend on the account say
``scoped=False`` and answer everyone alike.

Adding a URL, or a method to a view: add a ``Route`` line below for every method the view
accepts. ``test_every_url_and_method_has_a_row`` fails until you do.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from tests import po_builders as pb

ROLES = (
    "anonymous",
    "member_a",
    "contact_a",
    "contact_b",
    "rep_a",
    "rep_b",
    "deal_desk",
    "finance",
)
# Roles scoped to one account; the others (deal desk, finance) work across all accounts.
HOME_ACCOUNT = {"member_a": "a", "contact_a": "a", "contact_b": "b", "rep_a": "a", "rep_b": "b"}
ALL_ACCOUNT_ROLES = ("deal_desk", "finance")
TARGETS = ("own", "other", "missing")

CUSTOMERS = ("member_a", "contact_a", "contact_b")
BILLING_CONTACTS = ("contact_a", "contact_b")
REPS = ("rep_a", "rep_b")
STAFF = ("rep_a", "rep_b", "deal_desk", "finance")
EVERYONE_SIGNED_IN = ROLES[1:]


def ok(roles, status=200) -> dict[str, int]:
    return dict.fromkeys(roles, status)


@dataclass(frozen=True)
class Route:
    name: str
    method: str = "GET"
    # Builds URL kwargs from (world, account) — account is None for the "missing" target.
    obj: Callable | None = None
    allowed: dict[str, int] = field(default_factory=dict)
    anonymous: int = 302  # login_required redirects to sign-in
    data: Callable | None = None  # POST body from the world
    # False for public pages whose answer does not depend on whose object is in the URL.
    scoped: bool = True

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}"


def account_number(world, account):
    return {"number": account.number if account is not None else "OV-9999999"}


MISSING_QUOTE = "Q-2099-999999"


def quote_in(state: str, rev: bool = False):
    """URL kwargs for a quote of the target account in ``state`` (built once per test)."""

    def build(world, account):
        if account is None:
            return {"number": MISSING_QUOTE, **({"rev": 1} if rev else {})}
        cache = world.__dict__.setdefault("_quotes", {})
        key = (account.pk, state)
        if key not in cache:
            cache[key] = _build_quote(world, account, state)
        return {"number": cache[key].number, **({"rev": 1} if rev else {})}

    return build


def _build_quote(world, account, state):
    from quotes.policy import Action
    from tests import factories
    from tests import quote_builders as qb
    from workflows import services as flow_services

    rep = world.rep_a if account == world.a else world.rep_b
    contact = world.contact_a if account == world.a else world.contact_b
    if state == "draft":
        return qb.draft_quote(account, rep)
    if state == "pending_approval":
        return qb.pending_approval_quote(account, rep)
    if state == "pending_finance":
        return qb.pending_finance_quote(account, rep, world.deal_desk)
    if state == "awaiting_second":
        # Accepted first by a contact the matrix does not sign in as: the matrix's own contact
        # of the account may give the second acceptance.
        return qb.awaiting_second_quote(account, rep, factories.billing_contact(account))
    quote = qb.sent_quote(account, rep)
    if state == "changes_requested":
        flow_services.quote_decline(
            quote=quote, actor=contact, action=Action.REQUEST_CHANGES, comment="More seats"
        )
    if state == "accepted":
        flow_services.quote_accept(quote=quote, actor=contact, new_po=pb.new_po("PO-MATRIX"))
    return quote


def new_quote_form(world):
    import uuid

    return {
        "title": "Matrix quote",
        "term_months": "12",
        "billing_frequency": "annually",
        "valid_until": "2099-12-31",
        "idempotency_key": str(uuid.uuid4()),
    }


def edit_form(world):
    from tests import quote_builders as qb

    return {
        "title": "Matrix quote",
        "term_months": "12",
        "billing_frequency": "annually",
        "valid_until": "2099-12-31",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "5000",
        "lines-0-product": str(qb.product().pk),
        "lines-0-quantity": "5",
        "lines-0-unit_price": "100.00",
    }


def approve(world):
    return {"decision": "approve", "comment": "Within guidelines"}


def accept_with_po(world):
    return {"decision": "accept", **pb.new_po_fields("PO-1234")}


def second_acceptance(world):
    """The SHA-256 of the document awaiting its second acceptance (the matrix builds one such
    quote per test, the target's)."""
    from quotes.models import Acceptance

    first = Acceptance.objects.filter(needs_second=True, second_accepted_by=None).last()
    return {"pdf_sha256": first.pdf_sha256 if first else "0" * 64, "confirm": "on"}


def invited_contact(world, account):
    """URL kwargs for a billing contact of the target account who has not set a password yet
    (built once per test)."""
    if account is None:
        return {"number": "OV-9999999", "user_id": 999_999}
    cache = world.__dict__.setdefault("_invited", {})
    if account.pk not in cache:
        from tests import factories

        user = factories.billing_contact(account)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        cache[account.pk] = user
    return {"number": account.number, "user_id": cache[account.pk].pk}


def second_acceptance_amount(world):
    return {"amount": "50000"}


def billing_admin_message(world):
    return {"message": "Please add 20 seats to our plan."}


def reset_link(world, account):
    """A reset link of a person of ``account`` (or of nobody) with a token that is not valid."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if account is None:
        pk = 999_999
    else:
        pk = (world.contact_a if account == world.a else world.contact_b).pk
    return {"uidb64": urlsafe_base64_encode(force_bytes(pk)), "token": "set-password-not-a-token"}


def invitation_link(world, account):
    """An invitation link of a contact of ``account`` (or of nobody) with a token that is not
    valid: the page must answer everyone alike (it is public, the token is the key)."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if account is None:
        pk = 999_999
    else:
        pk = (world.contact_a if account == world.a else world.contact_b).pk
    return {"uidb64": urlsafe_base64_encode(force_bytes(pk)), "token": "not-an-invitation"}


def add_contact(world):
    """A proposal to add a colleague, the proposer's password re-entered."""
    from tests.factories import PASSWORD

    return {
        "kind": "add",
        "add-first_name": "Matrix",
        "add-last_name": "Colleague",
        "add-email": "matrix.colleague@mail.example",
        "add-login_id": "matrix.colleague",
        "add-password": PASSWORD,
    }


def contact_change_in(world, account):
    """URL kwargs for a pending contact change of the target account (built once per test)."""
    if account is None:
        return {"pk": 999_999_999}
    cache = world.__dict__.setdefault("_contact_changes", {})
    if account.pk not in cache:
        from tests.factories import PASSWORD
        from workflows import services as flow_services

        contact = world.contact_a if account == world.a else world.contact_b
        cache[account.pk] = flow_services.contact_change_propose(
            account=account,
            actor=contact,
            password=PASSWORD,
            kind="add",
            first_name="Pending",
            email=f"pending.{account.pk}@mail.example",
            login_id=f"pending.{account.pk}",
        )
    return {"pk": cache[account.pk].pk}


# --- purchase orders --------------------------------------------------------------------------

PO_READERS = ("contact_a", "contact_b", "rep_a", "rep_b", "finance")
MISSING_ID = 999_999_999


def _contact_of(world, account):
    return world.contact_a if account == world.a else world.contact_b


def _po(world, account):
    """A PO of ``account`` (with a document), built once per test."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import po_builders as pb

    cache = world.__dict__.setdefault("_pos", {})
    if account.pk not in cache:
        document = SimpleUploadedFile("po.pdf", pb.MINIMAL_PDF, content_type="application/pdf")
        cache[account.pk] = pb.purchase_order(
            account, _contact_of(world, account), "PO-MATRIX-1", document=document
        )
    return cache[account.pk]


def po_of(world, account):
    return {"pk": _po(world, account).pk if account is not None else MISSING_ID}


def po_document_of(world, account):
    return {"pk": _po(world, account).document_id if account is not None else MISSING_ID}


def po_change_in(state: str):
    """URL kwargs for a change of the target account's PO, pending or in conflict."""

    def build(world, account):
        if account is None:
            return {"pk": MISSING_ID}
        cache = world.__dict__.setdefault("_po_changes", {})
        key = (account.pk, state)
        if key not in cache:
            cache[key] = _build_change(world, account, state)
        return {"pk": cache[key].pk}

    return build


def _build_change(world, account, state):
    from decimal import Decimal

    from workflows import services as flow_services

    po = _po(world, account)
    contact = _contact_of(world, account)
    rep = world.rep_a if account == world.a else world.rep_b

    def propose(amount):
        po.refresh_from_db()
        return flow_services.po_change_propose(
            purchase_order=po,
            actor=contact,
            base_version=po.version,
            number=po.number,
            amount=Decimal(amount),
            valid_from=po.valid_from,
            valid_to=po.valid_to,
            reason="Budget changed",
        )

    change = propose("2000000")
    if state == "conflicted":
        first = propose("3000000")
        flow_services.po_change_approve(change=first, actor=rep)
        flow_services.po_change_approve(change=change, actor=rep)
    return change


def new_po_form(world):
    from tests import po_builders as pb

    fields = pb.new_po_fields("PO-NEW-1", "5000")
    return {k.removeprefix("po_"): v for k, v in fields.items()}


def po_proposal(world):
    from tests import po_builders as pb

    fields = pb.new_po_fields("PO-MATRIX-1", "2500000")
    return {
        **{k.removeprefix("po_"): v for k, v in fields.items()},
        "reason": "Budget raised",
        "base_version": "1",
    }


def get_and_post(route: Route) -> list[Route]:
    """The view renders the same page for POST as for GET (it has no require_GET): the POST row
    proves that a POST is scoped exactly like the GET."""
    from dataclasses import replace

    return [route, replace(route, method="POST")]


# --- Billing Center -------------------------------------------------------------------------
# The Billing Center serves self-service accounts; the matrix's accounts are corporate, so a
# Billing Center row makes the target account self-service first and builds what the URL opens
# (through the real services, with the account's own billing contact), before the request.

MISSING_INVOICE = "INV-2099-999999"
MISSING_OBJECT = 999_999_999


def billing_center(state: str = "account"):
    """URL kwargs of a Billing Center page of the target account: ``account`` (the account
    only), ``plan``, ``cancelling`` or ``pending`` (a plan in that state), ``invoice`` (paid),
    ``due`` (a declined renewal's invoice), ``card`` (a card that is not the default)."""

    def build(world, account):
        if account is None:
            return {"number": "OV-9999999", **_missing_object(state)}
        cache = world.__dict__.setdefault("_billing", {})
        key = (account.pk, state)
        if key not in cache:
            cache[key] = _build_billing(world, account, state)
        return cache[key]

    return build


def _missing_object(state):
    if state == "account":
        return {}
    if state in ("invoice", "due"):
        return {"invoice": MISSING_INVOICE}
    if state == "card":
        return {"method": MISSING_OBJECT}
    return {"plan": MISSING_OBJECT}


def _build_billing(world, account, state):
    from datetime import date

    from billing_center import pricing, services
    from tests.billing_center import builders as bb

    contact = world.contact_a if account == world.a else world.contact_b
    bb.make_self_service(account)
    kwargs = {"number": account.number}
    if state == "account":
        return kwargs
    if state == "card":
        first = bb.add_card(account, contact)
        bb.add_card(account, contact, bb.MASTERCARD)
        return {**kwargs, "method": first.pk}
    bb.add_card(account, contact)
    sub = bb.add_plan(account, contact, quantity=5)
    if state == "cancelling":
        services.subscription_cancel(actor=contact, subscription=sub)
    if state == "pending":
        preview = pricing.seats_preview(
            subscription=sub, quantity=2, today=pricing.local_today(account)
        )
        services.subscription_change_seats(
            actor=contact,
            subscription=sub,
            quantity=2,
            charge_now=preview.charge_now,
            effective_on=preview.effective_on,
        )
    if state == "invoice":
        return {**kwargs, "invoice": sub.invoices.get().number}
    if state == "due":
        bb.add_card(account, contact, bb.VISA_DECLINES)
        outcome = services.subscription_renew(subscription=sub, today=sub.period_end)
        assert outcome.declined and date.today() < sub.period_end
        return {**kwargs, "invoice": outcome.declined[0]}
    return {**kwargs, "plan": sub.pk}


def seats_preview_form(world):
    return {"quantity": "9"}


def plan_preview_form(world):
    from tests.billing_center import builders as bb

    return {"product": str(bb.plan_product(sku="OV-BC-PRO", name="OpenVoice Pro").pk)}


def frequency_preview_form(world):
    return {"billing_frequency": "annually"}


def new_plan_form(world):
    from tests.billing_center import builders as bb

    return {"product": str(bb.plan_product().pk), "billing_frequency": "monthly", "quantity": "3"}


def card_form(world):
    return {
        "holder_name": "Matrix Holder",
        "number": "4242 4242 4242 4242",
        "exp_month": "12",
        "exp_year": "2099",
        "cvc": "123",
    }


# Members get the "Contact your billing admin" page (200) for every Billing Center URL, and
# nothing changes; billing contacts manage; representatives and staff read.
BC_READERS = ok(EVERYONE_SIGNED_IN)
BC_MEMBER = ok(["member_a"])


def bc_write(status: int) -> dict[str, int]:
    return {**BC_MEMBER, **ok(BILLING_CONTACTS, status)}


BILLING_CENTER_ROUTES = [
    *get_and_post(Route("billing_center:home", allowed=ok(EVERYONE_SIGNED_IN))),
    *get_and_post(Route("billing_center:account", obj=billing_center(), allowed=BC_READERS)),
    Route("billing_center:plan_add", obj=billing_center(), allowed=bc_write(200)),
    Route(
        "billing_center:plan_add",
        method="POST",
        obj=billing_center(),
        data=new_plan_form,
        allowed=bc_write(200),  # the preview: nothing is charged before the confirmation
    ),
    Route("billing_center:plan_seats", obj=billing_center("plan"), allowed=bc_write(200)),
    Route(
        "billing_center:plan_seats",
        method="POST",
        obj=billing_center("plan"),
        data=seats_preview_form,
        allowed=bc_write(200),
    ),
    Route("billing_center:plan_change", obj=billing_center("plan"), allowed=bc_write(200)),
    Route(
        "billing_center:plan_change",
        method="POST",
        obj=billing_center("plan"),
        data=plan_preview_form,
        allowed=bc_write(200),
    ),
    Route("billing_center:plan_frequency", obj=billing_center("plan"), allowed=bc_write(200)),
    Route(
        "billing_center:plan_frequency",
        method="POST",
        obj=billing_center("plan"),
        data=frequency_preview_form,
        allowed=bc_write(200),
    ),
    Route(
        "billing_center:plan_cancel",
        method="POST",
        obj=billing_center("plan"),
        allowed=bc_write(302),
    ),
    Route(
        "billing_center:plan_undo_cancel",
        method="POST",
        obj=billing_center("cancelling"),
        allowed=bc_write(302),
    ),
    Route(
        "billing_center:plan_withdraw_change",
        method="POST",
        obj=billing_center("pending"),
        allowed=bc_write(302),
    ),
    *get_and_post(Route("billing_center:invoices", obj=billing_center(), allowed=BC_READERS)),
    *get_and_post(
        Route("billing_center:invoice", obj=billing_center("invoice"), allowed=BC_READERS)
    ),
    *get_and_post(
        Route("billing_center:invoice_pdf", obj=billing_center("invoice"), allowed=BC_READERS)
    ),
    Route(
        "billing_center:invoice_pay",
        method="POST",
        obj=billing_center("due"),
        allowed=bc_write(302),
    ),
    Route("billing_center:payment", obj=billing_center(), allowed=BC_READERS),
    Route(
        "billing_center:payment",
        method="POST",
        obj=billing_center(),
        data=card_form,
        allowed=bc_write(302),
    ),
    Route(
        "billing_center:payment_default",
        method="POST",
        obj=billing_center("card"),
        allowed=bc_write(302),
    ),
    Route(
        "billing_center:payment_remove",
        method="POST",
        obj=billing_center("card"),
        allowed=bc_write(302),
    ),
]


def finance_export(world, account):
    """A written export of the matrix's finance person (built once per test). An export is its
    requester's, not an account's: finance sees it whichever account is the target;
    tests/finance/test_export_jobs.py proves another finance person gets the same 404."""
    if account is None:
        return {"pk": MISSING_ID}
    cache = world.__dict__.setdefault("_exports", {})
    if "written" not in cache:
        from finance import selectors, services

        export = services.export_request(
            user=world.finance, choice="quotes", filters=selectors.ExportFilters()
        )
        services.export_write(export_id=export.pk, last_attempt=True)
        cache["written"] = export.pk
    return {"pk": cache["written"]}


# Finance (issue 13): the exports are finance's alone, each export its requester's; the
# dashboards and the lists behind their charts are vendor staff's, each scoped to the accounts
# they see (the PO list: who reads POs).
FINANCE_ROUTES = [
    Route("finance:exports", allowed=ok(["finance"])),
    Route(
        "finance:exports",
        method="POST",
        data=lambda world: {"register": "quotes", "currency": "USD"},
        allowed=ok(["finance"], 302),
    ),
    Route("finance:export", obj=finance_export, allowed=ok(["finance"])),
    Route("finance:export_file", obj=finance_export, allowed=ok(["finance"])),
    Route("finance:dashboard", allowed=ok(STAFF)),
    Route("finance:quotes", allowed=ok(STAFF)),
    Route("finance:purchase_orders", allowed=ok(("rep_a", "rep_b", "finance"))),
]


ROUTES = [
    # Public pages: everyone gets them, signed in or not. A POST without a body is an invalid
    # form, shown again.
    # The health probe (issue 14): public, the same answer for everyone, GET/HEAD only.
    Route("healthz", allowed=ok(EVERYONE_SIGNED_IN), anonymous=200),
    *get_and_post(Route("contacts:login", allowed=ok(EVERYONE_SIGNED_IN), anonymous=200)),
    *get_and_post(Route("contacts:corporate_login", allowed=ok(EVERYONE_SIGNED_IN), anonymous=200)),
    *get_and_post(Route("contacts:staff_login", allowed=ok(EVERYONE_SIGNED_IN), anonymous=200)),
    *get_and_post(Route("contacts:password_reset", allowed=ok(EVERYONE_SIGNED_IN), anonymous=200)),
    *get_and_post(
        Route("contacts:password_reset_done", allowed=ok(EVERYONE_SIGNED_IN), anonymous=200)
    ),
    *get_and_post(
        Route(
            "contacts:password_reset_confirm",
            obj=reset_link,
            scoped=False,
            allowed=ok(EVERYONE_SIGNED_IN),
            anonymous=200,
        )
    ),
    *get_and_post(
        Route("contacts:password_reset_complete", allowed=ok(EVERYONE_SIGNED_IN), anonymous=200)
    ),
    *get_and_post(
        Route(
            "contacts:invitation",
            obj=invitation_link,
            scoped=False,
            allowed=ok(EVERYONE_SIGNED_IN),
            anonymous=200,
        )
    ),
    Route("contacts:logout", method="POST", allowed=ok(EVERYONE_SIGNED_IN, 302), anonymous=302),
    # Signed-in pages.
    *get_and_post(Route("contacts:home", allowed=ok(EVERYONE_SIGNED_IN, 302))),
    *get_and_post(Route("contacts:staff_home", allowed=ok(STAFF))),
    *get_and_post(
        Route("contacts:account_home", obj=account_number, allowed=ok(EVERYONE_SIGNED_IN))
    ),
    Route("contacts:email_billing_admin", obj=account_number, allowed=ok(["member_a"])),
    Route(
        "contacts:email_billing_admin",
        method="POST",
        obj=account_number,
        data=billing_admin_message,
        allowed=ok(["member_a"], 302),
    ),
    # Quotes: customers see sent quotes of their own account; staff of theirs (or all).
    *get_and_post(Route("quotes:list", allowed=ok(EVERYONE_SIGNED_IN))),
    *get_and_post(Route("workflows:inbox", allowed=ok(EVERYONE_SIGNED_IN))),
    # Picking the account of a new quote: only those who may draft on some account.
    Route("quotes:new", allowed=ok(REPS)),
    Route("quotes:create", obj=account_number, allowed=ok(REPS)),
    Route(
        "quotes:create",
        method="POST",
        obj=account_number,
        data=new_quote_form,
        allowed=ok(REPS, 302),
    ),
    *get_and_post(
        Route("quotes:detail", obj=quote_in("sent"), allowed=ok(BILLING_CONTACTS + STAFF))
    ),
    *get_and_post(Route("quotes:detail", obj=quote_in("draft"), allowed=ok(STAFF))),
    *get_and_post(
        Route(
            "quotes:revision",
            obj=quote_in("sent", rev=True),
            allowed=ok(BILLING_CONTACTS + STAFF),
        )
    ),
    *get_and_post(
        Route("quotes:pdf", obj=quote_in("sent", rev=True), allowed=ok(BILLING_CONTACTS + STAFF))
    ),
    *get_and_post(
        Route(
            "quotes:pdf_original",
            obj=quote_in("accepted", rev=True),
            allowed=ok(BILLING_CONTACTS + STAFF),
        )
    ),
    Route("quotes:edit", obj=quote_in("draft"), allowed=ok(REPS)),
    Route(
        "quotes:edit", method="POST", obj=quote_in("draft"), data=edit_form, allowed=ok(REPS, 302)
    ),
    Route(
        "quotes:new_revision",
        method="POST",
        obj=quote_in("changes_requested"),
        allowed=ok(REPS, 302),
    ),
    Route("workflows:quote_submit", method="POST", obj=quote_in("draft"), allowed=ok(REPS, 302)),
    Route(
        "workflows:quote_review",
        method="POST",
        obj=quote_in("pending_approval"),
        data=approve,
        allowed=ok(["deal_desk"], 302),
    ),
    Route(
        "workflows:quote_finance_review",
        method="POST",
        obj=quote_in("pending_finance"),
        data=approve,
        allowed=ok(["finance"], 302),
    ),
    Route(
        "workflows:quote_decide",
        method="POST",
        obj=quote_in("sent"),
        data=accept_with_po,
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    Route(
        "workflows:quote_second_accept",
        method="POST",
        obj=quote_in("awaiting_second"),
        data=second_acceptance,
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    Route(
        "contacts:second_acceptance_amount",
        method="POST",
        obj=account_number,
        data=second_acceptance_amount,
        allowed=ok(REPS, 302),
    ),
    # A contact who has not set a password yet: the account's billing contacts and its
    # representatives may send the invitation again.
    Route(
        "contacts:invitation_resend",
        method="POST",
        obj=invited_contact,
        allowed=ok(BILLING_CONTACTS + REPS, 302),
    ),
    # Purchase orders: billing contacts of the account, its representatives and finance read
    # them; billing contacts create and propose changes, representatives and finance review.
    Route("purchase_orders:list", allowed=ok(PO_READERS)),
    Route("purchase_orders:ledger", obj=account_number, allowed=ok(PO_READERS)),
    Route("purchase_orders:create", obj=account_number, allowed=ok(BILLING_CONTACTS)),
    Route(
        "purchase_orders:create",
        method="POST",
        obj=account_number,
        data=new_po_form,
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    Route("purchase_orders:detail", obj=po_of, allowed=ok(PO_READERS)),
    # Closing a PO: its account's billing contacts, no review.
    Route(
        "purchase_orders:close",
        method="POST",
        obj=po_of,
        data=lambda world: {"close-reason": "Used up"},
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    Route("purchase_orders:document", obj=po_document_of, allowed=ok(PO_READERS)),
    Route(
        "workflows:po_change_propose",
        method="POST",
        obj=po_of,
        data=po_proposal,
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    Route(
        "workflows:po_change_review",
        method="POST",
        obj=po_change_in("pending"),
        data=lambda world: {"decision": "approve", "comment": "Fine"},
        allowed=ok(("rep_a", "rep_b", "finance"), 302),
    ),
    Route(
        "workflows:po_change_conflict",
        method="POST",
        obj=po_change_in("conflicted"),
        data=lambda world: {"decision": "rebase"},
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    Route(
        "workflows:quote_withdraw",
        method="POST",
        obj=quote_in("sent"),
        data=lambda world: {"reason": "Pricing error on line 1"},
        allowed=ok(REPS, 302),
    ),
    # Billing-contact changes: a billing contact proposes, the account's representative decides.
    Route(
        "workflows:contact_change_propose",
        method="POST",
        obj=account_number,
        data=add_contact,
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    Route(
        "workflows:contact_change_decide",
        method="POST",
        obj=contact_change_in,
        data=lambda world: {"decision": "confirm", "comment": "Matrix"},
        allowed=ok(REPS, 302),
    ),
    Route(
        "workflows:contact_change_withdraw",
        method="POST",
        obj=contact_change_in,
        allowed=ok(BILLING_CONTACTS, 302),
    ),
    *BILLING_CENTER_ROUTES,
    *FINANCE_ROUTES,
]

# URL names the matrix does not cover, and why.
NOT_IN_MATRIX = {
    # Django's admin checks is_staff itself; tests/security/test_admin_access.py covers it.
    "admin",
}


def expected_status(route: Route, role: str, target: str | None) -> int:
    if role == "anonymous":
        return route.anonymous
    if role not in route.allowed:
        return 404
    if target in (None, "own") or not route.scoped:
        return route.allowed[role]
    if target == "missing":
        return 404
    # "other": only roles that work across all accounts may see another account's object.
    return route.allowed[role] if role in ALL_ACCOUNT_ROLES else 404


def cases():
    for route in ROUTES:
        targets = TARGETS if route.obj else (None,)
        for role in ROLES:
            for target in targets:
                yield route, role, target
