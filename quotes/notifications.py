"""Quote e-mails. Each is queued on commit, so a rolled-back action sends nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from contacts.backends import CORPORATE_PORTAL, STAFF_PORTAL
from contacts.links import sign_in_link
from contacts.models import Membership, MembershipRole, StaffRole, User
from outbox.services import mail_queue

from .models import RevisionStatus

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


# The staff role that approves each tier of approval rules.
TIER_ROLE = {"deal_desk": StaffRole.DEAL_DESK, "finance": StaffRole.FINANCE}
TIER_NAME = {"deal_desk": "deal desk", "finance": "finance"}


def approval_needed(revision, *, tier: str = "deal_desk", checks=()) -> None:
    """Tells the tier's approvers which of their rules fired, and by how much."""
    to = User.objects.filter(staff_role=TIER_ROLE[tier], is_active=True).values_list(
        "email", flat=True
    )
    prefix = "Approval needed" if tier == "deal_desk" else "Finance approval needed"
    _send(
        to=list(to),
        subject=f"{prefix}: quote {revision.quote.number} rev {revision.number}",
        template="quotes/email/approval_needed.txt",
        context=_context(revision, tier=TIER_NAME[tier], checks=list(checks)),
    )


def sent_back(revision, *, tier: str = "deal_desk") -> None:
    _send(
        to=_emails(revision.quote.account, MembershipRole.REPRESENTATIVE),
        subject=f"Quote {revision.quote.number} was sent back by {TIER_NAME[tier]}",
        template="quotes/email/sent_back.txt",
        context=_context(revision, tier=TIER_NAME[tier]),
    )


def second_acceptance_needed(revision, *, first) -> None:
    """The account's other billing contacts: one of them must confirm the acceptance."""
    others = Membership.objects.filter(
        account=revision.quote.account,
        role=MembershipRole.BILLING_CONTACT,
        user__is_active=True,
    ).exclude(user=first)
    _send(
        to=list(others.values_list("user__email", flat=True)),
        subject=f"Quote {revision.quote.number} needs a second acceptance",
        template="quotes/email/second_acceptance.txt",
        context=_context(revision, first=first),
    )


def first_acceptance_to_representatives(revision, *, first) -> None:
    """The representatives: a first billing contact accepted, and the quote now waits for a
    second one (nothing for them to do, but the deal is not closed yet)."""
    _send(
        to=_emails(revision.quote.account, MembershipRole.REPRESENTATIVE),
        subject=f"Quote {revision.quote.number} rev {revision.number}: accepted by "
        f"{first.display_name}, awaiting a second billing contact",
        template="quotes/email/first_acceptance.txt",
        context=_context(revision, first=first),
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


def approved(revision, *, tier: str = "deal_desk") -> None:
    """The representatives learn that a tier approved, and whether that sent the quote on to
    the customer or to the next tier."""
    sent = revision.status == RevisionStatus.SENT
    then = "sent to the customer" if sent else "now waits for finance"
    _send(
        to=_emails(revision.quote.account, MembershipRole.REPRESENTATIVE),
        subject=f"Quote {revision.quote.number} rev {revision.number} was approved by "
        f"{TIER_NAME[tier]} and {then}",
        template="quotes/email/approved.txt",
        context=_context(revision, tier=TIER_NAME[tier], sent=sent),
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


def acceptance_confirmed(revision, acceptance, *, signer: User) -> None:
    """The billing contact who accepted (each of the two, where two must) gets the exact PDF
    they accepted, to file."""
    quote = revision.quote
    _send(
        to=[signer.email],
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
