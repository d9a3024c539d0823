"""Billing Center e-mails to the account's billing contacts. Queued in the caller's transaction
through ``outbox``, so a rolled-back change sends nothing; an invoice's e-mail carries its PDF.

No e-mail ever names more of a card than its brand and last four digits."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from contacts.models import Account, Membership, MembershipRole
from outbox.services import mail_queue

from .documents import invoice_filename, invoice_pdf
from .models import Invoice


def billing_contact_emails(account: Account) -> list[str]:
    return sorted(
        {
            address
            for address in Membership.objects.filter(
                account=account, role=MembershipRole.BILLING_CONTACT, user__is_active=True
            ).values_list("user__email", flat=True)
            if address
        }
    )


def _link(account: Account, name: str = "billing_center:account", **kwargs: str) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"number": account.number, **kwargs})


def _send(
    account: Account,
    *,
    subject: str,
    template: str,
    context: dict,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    to = billing_contact_emails(account)
    if not to:
        return
    body = render_to_string(
        template,
        {"account": account, "link": _link(account), "product": settings.PRODUCT_NAME, **context},
    )
    mail_queue(
        to=to,
        subject=f"{settings.PRODUCT_NAME} Billing Center: {subject}",
        body=body,
        attachments=attachments,
    )


def plan_changed(account: Account, *, actor_name: str, summary: str, details: list[str]) -> None:
    """Every change to a plan or to the payment information."""
    _send(
        account,
        subject=summary,
        template="billing_center/email/changed.txt",
        context={"actor_name": actor_name, "summary": summary, "details": details},
    )


def invoice_issued(invoice: Invoice) -> None:
    """The invoice, with its PDF (which names the billing User ID)."""
    account = invoice.account
    _send(
        account,
        subject=f"Invoice {invoice.number} ({invoice.get_status_display().lower()})",
        template="billing_center/email/invoice.txt",
        context={
            "invoice": invoice,
            "invoice_link": _link(account, "billing_center:invoice", invoice=invoice.number),
        },
        attachments=[(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")],
    )


def payment_declined(invoice: Invoice, *, reason: str) -> None:
    account = invoice.account
    _send(
        account,
        subject=f"Payment declined for invoice {invoice.number}",
        template="billing_center/email/declined.txt",
        context={
            "invoice": invoice,
            "reason": reason,
            "payment_link": _link(account, "billing_center:payment"),
            "invoice_link": _link(account, "billing_center:invoice", invoice=invoice.number),
        },
    )
