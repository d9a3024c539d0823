"""Billing-contact change e-mails. Each is queued in the step's transaction and leaves on commit,
so a refused or rolled-back step sends nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from outbox.services import mail_queue

from .backends import CORPORATE_PORTAL, STAFF_PORTAL
from .links import sign_in_link
from .models import (
    ContactChange,
    ContactChangeKind,
    ContactChangeStatus,
    Membership,
    MembershipRole,
    User,
)

VERBS: dict[str, str] = {
    ContactChangeStatus.CONFIRMED: "confirmed",
    ContactChangeStatus.DECLINED: "declined",
    ContactChangeStatus.WITHDRAWN: "withdrew",
}


def _recipients(change: ContactChange, also: list[User]) -> dict[str, list[str]]:
    """Every billing contact of the account and its representatives (as the account is now),
    and ``also`` (a contact just removed, who must learn it too), by the site each signs in
    to: the billing contacts the Corporate Billing Portal, the representatives the staff one."""
    rows = Membership.objects.filter(
        account_id=change.account_id,
        role__in=[MembershipRole.BILLING_CONTACT, MembershipRole.REPRESENTATIVE],
        user__is_active=True,
    ).values_list("role", "user__email")
    contacts = {email for role, email in rows if role == MembershipRole.BILLING_CONTACT}
    staff = {email for role, email in rows if role == MembershipRole.REPRESENTATIVE}
    contacts |= {user.email for user in also}
    if change.kind == ContactChangeKind.ADD and change.target is not None:
        # A new contact learns of it from their invitation, which says more.
        contacts.discard(change.target.email)
        staff.discard(change.target.email)
    staff -= contacts  # one mail each, the customer's if someone is both
    return {
        CORPORATE_PORTAL: sorted(address for address in contacts if address),
        STAFF_PORTAL: sorted(address for address in staff if address),
    }


def _send(change: ContactChange, *, subject: str, template: str, also: list[User]) -> None:
    path = reverse("contacts:account_home", args=[change.account.number])
    for portal, to in _recipients(change, also).items():
        if not to:
            continue
        context = {
            "change": change,
            "applied": change.status == ContactChangeStatus.CONFIRMED,
            "verb": VERBS.get(change.status, ""),
            "link": f"{sign_in_link(path, portal=portal)}#contact-changes",
        }
        body = render_to_string(template, context)
        mail_queue(to=to, subject=f"{settings.PRODUCT_NAME}: {subject}", body=body)


def contact_change_proposed(change: ContactChange) -> None:
    _send(
        change,
        subject=f"Billing-contact change proposed for {change.account.name}",
        template="contacts/email/contact_change_proposed.txt",
        also=[],
    )


def contact_change_decided(change: ContactChange, *, also: list[User] | None = None) -> None:
    _send(
        change,
        subject=f"Billing-contact change {change.get_status_display().lower()} for "
        f"{change.account.name}",
        template="contacts/email/contact_change_decided.txt",
        also=also or [],
    )
