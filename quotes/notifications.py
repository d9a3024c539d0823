"""Quote e-mails. Each is queued on commit, so a rolled-back action sends nothing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from contacts.models import Membership, MembershipRole, StaffRole, User
from outbox.services import mail_queue

DECIDED = {"accepted": "accepted", "rejected": "rejected", "changes_requested": "changes requested"}


def _link(revision) -> str:
    return settings.SITE_URL + reverse("quotes:detail", args=[revision.quote.number])


def _send(*, to: list[str], subject: str, template: str, context: dict) -> None:
    to = sorted({address for address in to if address})
    if not to:
        return
    body = render_to_string(template, context)
    mail_queue(to=to, subject=f"{settings.PRODUCT_NAME}: {subject}", body=body)


def _emails(account, role) -> list[str]:
    return list(
        Membership.objects.filter(account=account, role=role, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )


def _context(revision, **extra) -> dict:
    return {"revision": revision, "quote": revision.quote, "link": _link(revision), **extra}


def quote_sent(revision) -> None:
    quote = revision.quote
    _send(
        to=_emails(quote.account, MembershipRole.BILLING_CONTACT),
        subject=f"Quote {quote.number} (revision {revision.number}) is ready for your review",
        template="quotes/email/quote_sent.txt",
        context=_context(revision),
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
        context=_context(revision, days=days),
    )


def quote_withdrawn(revision) -> None:
    _send(
        to=_emails(revision.quote.account, MembershipRole.BILLING_CONTACT),
        subject=f"Quote {revision.quote.number} (revision {revision.number}) was withdrawn",
        template="quotes/email/withdrawn.txt",
        context=_context(revision),
    )
