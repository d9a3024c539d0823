"""Reads, scoped to the user who asks. Another account's quote and a missing one raise the same
404. Customers never see drafts: only revisions that were sent to them."""

from django.db.models import Prefetch
from django.http import Http404

from audit.models import AuditEvent
from contacts.permissions import accounts_with_permission

from .models import Quote, QuoteRevision


def _is_customer(user) -> bool:
    return not user.is_vendor_staff


def quotes_visible_to(user):
    if not user.is_authenticated:
        return Quote.objects.none()
    if _is_customer(user):
        return Quote.objects.filter(
            account__in=accounts_with_permission(user, "approve_quote"),
            revisions__sent_at__isnull=False,
        ).distinct()
    return Quote.objects.filter(account__in=accounts_with_permission(user, "view_billing"))


def quote_list(*, user):
    return (
        quotes_visible_to(user)
        .select_related("account", "current_revision", "created_by")
        .order_by("-created_at", "-id")
    )


def quote_get_for_user(*, user, number: str) -> Quote:
    quote = (
        quotes_visible_to(user).select_related("account", "created_by").filter(number=number)
    ).first()
    if quote is None:
        raise Http404("No such quote")
    return quote


def revisions_visible(*, user, quote: Quote):
    revisions = QuoteRevision.objects.filter(quote=quote).select_related(
        "created_by", "approved_by", "sent_by", "decided_by", "acceptance__accepted_by"
    )
    if _is_customer(user):
        revisions = revisions.filter(sent_at__isnull=False)
    return revisions.order_by("number")


def revision_get_for_user(*, user, quote: Quote, number: int) -> QuoteRevision:
    revision = revisions_visible(user=user, quote=quote).filter(number=number).first()
    if revision is None:
        raise Http404("No such revision")
    revision.quote = quote
    return revision


def revision_shown(*, user, quote: Quote) -> QuoteRevision:
    """The revision a person sees first: the current one, or for a customer the latest sent."""
    revisions = list(revisions_visible(user=user, quote=quote))
    if not revisions:
        raise Http404("No such quote")
    shown = revisions[-1]
    shown.quote = quote
    return shown


def revision_with_lines(revision: QuoteRevision) -> QuoteRevision:
    return (
        QuoteRevision.objects.select_related("quote__account", "quote__created_by")
        .prefetch_related(Prefetch("lines"))
        .get(pk=revision.pk)
    )


def quote_history(*, quote: Quote):
    return (
        AuditEvent.objects.filter(object_type="quotes.quote", object_id=str(quote.pk))
        .select_related("actor")
        .order_by("occurred_at", "id")
    )
