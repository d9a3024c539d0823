"""PO-change e-mails. Each is a row of the outbox, queued on commit: a rolled-back step sends
nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from contacts.models import Membership, MembershipRole, StaffRole, User
from outbox.services import mail_queue

from .models import PurchaseOrderChange


def _link(change: PurchaseOrderChange) -> str:
    return settings.SITE_URL + reverse("purchase_orders:detail", args=[change.purchase_order_id])


def _send(*, to: list[str], subject: str, change: PurchaseOrderChange, what: str) -> None:
    to = sorted({address for address in to if address})
    if not to:
        return
    body = render_to_string(
        "purchase_orders/email/change.txt",
        {"change": change, "po": change.purchase_order, "what": what, "link": _link(change)},
    )
    mail_queue(to=to, subject=f"{settings.PRODUCT_NAME}: {subject}", body=body)


def _members(account, role) -> list[str]:
    return list(
        Membership.objects.filter(account=account, role=role, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )


def _reviewers(account) -> list[str]:
    """Who may decide: the account's representatives and finance."""
    finance = User.objects.filter(staff_role=StaffRole.FINANCE, is_active=True).values_list(
        "email", flat=True
    )
    return [*_members(account, MembershipRole.REPRESENTATIVE), *finance]


def change_proposed(change: PurchaseOrderChange) -> None:
    po = change.purchase_order
    _send(
        to=_reviewers(po.account),
        subject=f"{po.account.number}: a change of purchase order {po.number} awaits review",
        change=change,
        what=f"{change.proposed_by.display_name} proposed a change of this purchase order.",
    )


def change_decided(change: PurchaseOrderChange) -> None:
    po = change.purchase_order
    verb = change.get_status_display().lower()
    assert change.decided_by is not None
    _send(
        to=[change.proposed_by.email, *_members(po.account, MembershipRole.BILLING_CONTACT)],
        subject=f"Purchase order {po.number}: change {verb}",
        change=change,
        what=f"{change.decided_by.display_name} decided: {verb}.",
    )


def change_conflicted(change: PurchaseOrderChange) -> None:
    po = change.purchase_order
    _send(
        to=[change.proposed_by.email],
        subject=f"Purchase order {po.number}: your change must be re-based",
        change=change,
        what=(
            "The purchase order was changed after you proposed your edit, so it was not applied. "
            "Your proposal is kept: open the purchase order to re-base it on the current values "
            "or withdraw it."
        ),
    )
