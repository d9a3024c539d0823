"""Quote e-mails. Each is queued on commit, so a rolled-back action sends nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from contacts.backends import CORPORATE_PORTAL, STAFF_PORTAL
from contacts.links import sign_in_link
from contacts.models import Membership, MembershipRole, StaffRole, User
from outbox.services import mail_queue

DECIDED = {"accepted": "accepted", "rejected": "rejected", "changes_requested": "changes requested"}


def _link(revision, portal: str = STAFF_PORTAL) -> str:
    path = reverse("quotes:detail", args=[revision.quote.number])
    return sign_in_link(path, portal=portal)


def _send(
    *,
    to: list[str],
    subject: str,
    template: str,
    context: dict,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    to = sorted({address for address in to if address})
    if not to:
        return
    body = render_to_string(template, context)
    mail_queue(
        to=to,
        subject=f"{settings.PRODUCT_NAME}: {subject}",
        body=body,
        attachments=attachments,
    )


def _emails(account, role) -> list[str]:
    return list(
        Membership.objects.filter(account=account, role=role, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )


def _context(revision, *, portal: str = STAFF_PORTAL, **extra) -> dict:
    """A mail's context; ``portal`` is the recipients' site (staff unless they are the
    account's billing contacts), whose sign-in the link leads through."""
    link = _link(revision, portal)
    return {"revision": revision, "quote": revision.quote, "link": link, **extra}


def quote_sent(revision) -> None:
    quote = revision.quote
    _send(
        to=_emails(quote.account, MembershipRole.BILLING_CONTACT),
        subject=f"Quote {quote.number} (revision {revision.number}) is ready for your review",
        template="quotes/email/quote_sent.txt",
        context=_context(revision, portal=CORPORATE_PORTAL),
    )


def customer_decided(revision) -> None:
    quote = revision.quote
    _send(
        to=_emails(quote.account, MembershipRole.REPRESENTATIVE),
        subject=f"Quote {quote.number} rev {revision.number}: {DECIDED[revision.status]} by "
        f"{revision.decided_by.display_name}",
        template="quotes/email/customer_decided.txt",
        context=_context(revision, verb=DECIDED[revision.status]),
    )


def approval_needed(revision) -> None:
    to = User.objects.filter(staff_role=StaffRole.DEAL_DESK, is_active=True).values_list(
        "email", flat=True
    )
    _send(
        to=list(to),
        subject=f"Approval needed: quote {revision.quote.number} rev {revision.number}",
        template="quotes/email/approval_needed.txt",
        context=_context(revision),
    )


def sent_back(revision) -> None:
    _send(
        to=_emails(revision.quote.account, MembershipRole.REPRESENTATIVE),
        subject=f"Quote {revision.quote.number} was sent back by deal desk",
        template="quotes/email/sent_back.txt",
        context=_context(revision),
    )


def quote_expired(revision) -> None:
    _send(
        to=_emails(revision.quote.account, MembershipRole.REPRESENTATIVE),
        subject=f"Quote {revision.quote.number} rev {revision.number} expired",
        template="quotes/email/expired.txt",
        context=_context(revision),
    )


def expiry_reminder(revision, kind: str) -> None:
    days = 1 if kind == "1d" else 7
    _send(
        to=_emails(revision.quote.account, MembershipRole.BILLING_CONTACT),
        subject=f"Quote {revision.quote.number} expires in {days} day{'s' if days > 1 else ''}",
        template="quotes/email/reminder.txt",
        context=_context(revision, portal=CORPORATE_PORTAL, days=days),
    )


def quote_withdrawn(revision) -> None:
    _send(
        to=_emails(revision.quote.account, MembershipRole.BILLING_CONTACT),
        subject=f"Quote {revision.quote.number} (revision {revision.number}) was withdrawn",
        template="quotes/email/withdrawn.txt",
        context=_context(revision, portal=CORPORATE_PORTAL),
    )


def approved(revision) -> None:
    """The representatives learn that deal desk approved, which sent the quote on."""
    _send(
        to=_emails(revision.quote.account, MembershipRole.REPRESENTATIVE),
        subject=f"Quote {revision.quote.number} rev {revision.number} was approved by deal desk "
        "and sent to the customer",
        template="quotes/email/approved.txt",
        context=_context(revision),
    )


def contacts_told_of_decision(revision, *, except_user: User | None = None) -> None:
    """Every billing contact of the account learns that a colleague accepted or rejected the
    quote (the one who accepted gets ``acceptance_confirmed`` instead)."""
    to = _emails(revision.quote.account, MembershipRole.BILLING_CONTACT)
    if except_user is not None:
        to = [address for address in to if address != except_user.email]
    _send(
        to=to,
        subject=f"Quote {revision.quote.number} (revision {revision.number}) was "
        f"{DECIDED[revision.status]} by {revision.decided_by.display_name}",
        template="quotes/email/contacts_decided.txt",
        context=_context(revision, portal=CORPORATE_PORTAL, verb=DECIDED[revision.status]),
    )


def acceptance_confirmed(revision, acceptance) -> None:
    """The billing contact who accepted gets the exact PDF they accepted, to file."""
    quote = revision.quote
    _send(
        to=[acceptance.accepted_by.email],
        subject=f"You accepted quote {quote.number} (revision {revision.number})",
        template="quotes/email/acceptance_confirmed.txt",
        context=_context(revision, portal=CORPORATE_PORTAL, acceptance=acceptance),
        attachments=[
            (
                f"{quote.number}-rev{revision.number}-as-accepted.pdf",
                bytes(acceptance.pdf),
                "application/pdf",
            )
        ],
    )
