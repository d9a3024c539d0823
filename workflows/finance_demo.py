"""Demo quotes over the last twelve months for the finance dashboards and registers.

Acme (USD) gets one quote a month and Globex (EUR) one every other month, built through the
real services and flows (accepted on the account's main demo PO, rejected, changes requested,
expired, withdrawn, still sent, waiting for deal desk, draft), then moved back in time to the
month it belongs to: the services stamp "now", and a dashboard of one day says nothing. The
Billing Center demo already holds a year of invoices for OV-2000101, and the PO demo the Acme
and Globex ledgers.

Idempotent: an account that has these quotes already is left alone. Lives in ``workflows``
because it drives the flows.
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contacts.models import Account, User
from purchase_orders.models import PurchaseOrder
from purchase_orders.services import NewPurchaseOrder
from quotes.models import Acceptance, Quote, QuoteRevision
from quotes.policy import Action

from . import services as flow_services
from .demo import _people, draft_quote, seat_line

TITLE = "Finance demo"
MAIN_PO = {"OV-1002345": "ACME-PO-2026-001", "OV-1002346": "GX-4500012345"}
# Statuses whose validity date may move back with the quote (a sent or waiting one must stay
# valid to be acted on).
FINAL = ("accepted", "rejected", "expired", "withdrawn", "superseded", "changes_requested")
# The outcome of each month's quote, oldest month first (twelve months).
OUTCOMES = (
    "accepted",
    "rejected",
    "accepted",
    "changes_requested",
    "expired",
    "accepted",
    "withdrawn",
    "accepted",
    "rejected",
    "draft",
    "pending",
    "sent_soon",
)


def _quote(account: Account, rep: User, title: str, seats: int, discount: str) -> Quote:
    return draft_quote(account, rep, title, [seat_line(account, seats, discount)])


def _send(quote: Quote, rep: User, desk: User) -> None:
    flow_services.quote_submit(quote=quote, actor=rep)
    quote.refresh_from_db()
    assert quote.current_revision is not None
    if quote.current_revision.status == "pending_approval":
        flow_services.quote_approve(quote=quote, actor=desk, comment="Within the year's plan")


def _build(account: Account, month: int, outcome: str, people, desk: User) -> Quote:
    contact, controller, rep = people
    seats = 5 + 3 * month
    # Every third quote (and the one left waiting) crosses the 15 % line-discount rule: deal
    # desk approves it (or has yet to).
    discount = "20" if month % 3 == 0 or outcome == "pending" else "5"
    quote = _quote(account, rep, f"{TITLE}: {account.name} month {month + 1}", seats, discount)
    if outcome == "draft":
        return quote
    if outcome == "pending":
        flow_services.quote_submit(quote=quote, actor=rep)
        return quote
    _send(quote, rep, desk)
    if outcome == "accepted":
        # Drawn on the account's main demo PO (the PO demo's ledger stays as it describes it);
        # on a PO of its own if that one is missing.
        po = PurchaseOrder.objects.filter(account=account, number=MAIN_PO[account.number]).first()
        new_po = None
        if po is None:
            new_po = NewPurchaseOrder(
                number=f"{account.number}-FIN-{month + 1:02d}",
                amount=Decimal(400 * seats),
                valid_from=timezone.localdate() - timedelta(days=400),
                valid_to=timezone.localdate() + timedelta(days=200),
            )
        flow_services.quote_accept(quote=quote, actor=contact, purchase_order=po, new_po=new_po)
    elif outcome == "rejected":
        flow_services.quote_decline(
            quote=quote, actor=controller, action=Action.REJECT, comment="Over budget this year"
        )
    elif outcome == "changes_requested":
        flow_services.quote_decline(
            quote=quote,
            actor=controller,
            action=Action.REQUEST_CHANGES,
            comment="Please quote 10 more seats",
        )
    elif outcome == "withdrawn":
        flow_services.quote_withdraw(quote=quote, actor=rep, reason="Replaced by a bundle")
    elif outcome == "expired":
        flow_services.quote_expire(quote=quote, now=timezone.now() + timedelta(days=400))
    return quote


def _move_back(quote: Quote, days: int, decided_after: timedelta) -> None:
    """Dates the quote ``days`` ago: created then, submitted an hour later, approved and sent a
    few hours on, decided ``decided_after`` after it was sent."""
    shift = timedelta(days=days)
    created = timezone.now() - shift
    Quote.objects.filter(pk=quote.pk).update(created_at=created)
    for revision in QuoteRevision.objects.filter(quote=quote):
        fields: dict[str, object] = {"created_at": created}
        if revision.submitted_at:
            fields["submitted_at"] = created + timedelta(hours=1)
        if revision.approved_at:
            # Deal desk takes from two hours to two days, varying by month.
            fields["approved_at"] = created + timedelta(hours=2 + (days // 30 * 7) % 47)
        if revision.sent_at:
            fields["sent_at"] = created + timedelta(hours=6 + days % 30)
        if revision.decided_at:
            fields["decided_at"] = created + timedelta(hours=6 + days % 30) + decided_after
        if revision.status in FINAL:
            valid: date = created.date() + timedelta(days=30)
            fields["valid_until"] = valid
        QuoteRevision.objects.filter(pk=revision.pk).update(**fields)
    Acceptance.objects.filter(revision__quote=quote).update(
        accepted_at=created + timedelta(hours=6 + days % 30) + decided_after
    )
    PurchaseOrder.objects.filter(acceptances__revision__quote=quote).update(created_at=created)


@transaction.atomic
def load(progress: Callable[[str], None] = print) -> int:
    """Creates the twelve months of quotes of Acme and Globex where missing; returns how many
    accounts got them."""
    desk = User.objects.filter(username="dealdesk.dana").first()
    done = 0
    for number in ("OV-1002345", "OV-1002346"):
        account = Account.objects.filter(number=number).first()
        if account is None or desk is None:
            continue
        if Quote.objects.filter(account=account, title__startswith=TITLE).exists():
            progress(f"  twelve months of quotes of {number}: exist")
            continue
        people = _people(account)
        for month, outcome in enumerate(OUTCOMES):
            # Globex (the euro account) every other month: the euro charts have their data,
            # and the seed stays quick (each quote goes through the flow and renders its PDF).
            if number != "OV-1002345" and month % 2 and outcome != "sent_soon":
                continue
            quote = _build(account, month, outcome, people, desk)
            # The oldest quote eleven months back, the newest this month (the open ones stay
            # recent: a sent quote must still be valid).
            days = (11 - month) * 30 + 3
            if outcome == "sent_soon":
                continue
            _move_back(quote, days, decided_after=timedelta(days=1 + month % 5, hours=month))
        progress(f"  {number}: a year of quotes (accepted, rejected, expired, open…)")
        done += 1
    return done
