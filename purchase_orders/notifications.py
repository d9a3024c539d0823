"""PO-change e-mails. Each is a row of the outbox, queued on commit: a rolled-back step sends
nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from contacts.backends import CORPORATE_PORTAL, STAFF_PORTAL
from contacts.links import sign_in_link
from contacts.models import Membership, MembershipRole, StaffRole, User
from outbox.services import mail_queue

from .models import PurchaseOrder, PurchaseOrderChange


def _link(change: PurchaseOrderChange, portal: str) -> str:
    path = reverse("purchase_orders:detail", args=[change.purchase_order_id])
    return sign_in_link(path, portal=portal)


def _send(
    *, to: list[str], subject: str, change: PurchaseOrderChange, what: str, portal: str
) -> None:
    """``portal``: the recipients' site (reviewers are staff, the proposer and the account's
    billing contacts the Corporate Billing Portal's), whose sign-in the link leads through."""
    to = sorted({address for address in to if address})
    if not to:
        return
    link = _link(change, portal)
    body = render_to_string(
        "purchase_orders/email/change.txt",
        {"change": change, "po": change.purchase_order, "what": what, "link": link},
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
        portal=STAFF_PORTAL,
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
        portal=CORPORATE_PORTAL,
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
        portal=CORPORATE_PORTAL,
    )


def po_closed(po: PurchaseOrder, *, actor: User, reason: str) -> None:
    """The account's representatives and its other billing contacts: a PO they may be counting
    on can no longer be charged."""
    path = reverse("purchase_orders:detail", args=[po.pk])
    for portal, role in (
        (STAFF_PORTAL, MembershipRole.REPRESENTATIVE),
        (CORPORATE_PORTAL, MembershipRole.BILLING_CONTACT),
    ):
        to = sorted({a for a in _members(po.account, role) if a and a != actor.email})
        if not to:
            continue
        body = render_to_string(
            "purchase_orders/email/closed.txt",
            {
                "po": po,
                "actor": actor,
                "reason": reason,
                "link": sign_in_link(path, portal=portal),
            },
        )
        mail_queue(
            to=to,
            subject=f"{settings.PRODUCT_NAME}: purchase order {po.number} was closed",
            body=body,
        )
