"""Billing-contact change e-mails. Each is queued in the step's transaction and leaves on commit,
so a refused or rolled-back step sends nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from outbox.services import mail_queue

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


def _recipients(change: ContactChange, also: list[User]) -> list[str]:
    """Every billing contact of the account and its representatives (as the account is now),
    and ``also`` (a contact just removed, who must learn it too)."""
    emails = set(
        Membership.objects.filter(
            account_id=change.account_id,
            role__in=[MembershipRole.BILLING_CONTACT, MembershipRole.REPRESENTATIVE],
            user__is_active=True,
        ).values_list("user__email", flat=True)
    )
    emails |= {user.email for user in also}
    if change.kind == ContactChangeKind.ADD and change.target is not None:
        # A new contact learns of it from their invitation, which says more.
        emails.discard(change.target.email)
    return sorted(address for address in emails if address)


def _send(change: ContactChange, *, subject: str, template: str, also: list[User]) -> None:
    to = _recipients(change, also)
    if not to:
        return
    link = settings.SITE_URL + reverse("contacts:account_home", args=[change.account.number])
    context = {
        "change": change,
        "applied": change.status == ContactChangeStatus.CONFIRMED,
        "verb": VERBS.get(change.status, ""),
        "link": f"{link}#contact-changes",
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
