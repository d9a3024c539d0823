"""Reads, scoped to the user who asks. Another account's quote and a missing one raise the same
404. Customers never see drafts: only revisions that were sent to them."""

from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from audit.models import AuditAction, AuditEvent
from contacts.models import Account, User
from contacts.permissions import scoped_to_accounts

from .models import (
    CUSTOMER_VISIBLE_STATUSES,
    ApprovalRule,
    Quote,
    QuoteRevision,
    RevisionStatus,
)
from .money import round_money
from .rules import LineFigures, RuleHit, effective_discount_percent, evaluate, material_fingerprint

# What a customer may read of a quote's history; approvals are the vendor's internal business.
CUSTOMER_EVENTS = (
    AuditAction.QUOTE_SENT,
    AuditAction.QUOTE_ACCEPTED,
    AuditAction.QUOTE_REJECTED,
    AuditAction.QUOTE_CHANGES_REQUESTED,
    AuditAction.QUOTE_EXPIRED,
    AuditAction.QUOTE_WITHDRAWN,
    AuditAction.QUOTE_REMINDER_SENT,
)


def _is_customer(user: Any) -> bool:
    return not user.is_vendor_staff


def quotes_visible_to(user: Any) -> QuerySet[Quote]:
    if not user.is_authenticated:
        return Quote.objects.none()
    if _is_customer(user):
        was_sent = QuoteRevision.objects.filter(quote=OuterRef("pk"), sent_at__isnull=False)
        return scoped_to_accounts(Quote.objects.filter(Exists(was_sent)), user, "approve_quote")
    return scoped_to_accounts(Quote.objects.all(), user, "view_billing")


QUOTE_LIST_ORDER = ["-created_at", "-id"]

# The orders a person can choose for the quote list, each ending in the key. The dates are
# served by the ``quote_list_order`` / ``quote_list_by_account`` indexes (read backwards for
# "oldest"); a total lives on the shown revision, so "by total" sorts the person's quotes
# (the chosen filters first), which is why it is not the default.
QUOTE_SORTS: dict[str, tuple[str, list[str]]] = {
    "newest": ("Newest first", QUOTE_LIST_ORDER),
    "oldest": ("Oldest first", ["created_at", "id"]),
    "total_desc": ("Highest total first", ["-list_total", "-id"]),
    "total_asc": ("Lowest total first", ["list_total", "id"]),
}
DEFAULT_SORT = "newest"


def quote_list_statuses(user: User) -> list[tuple[str, str]]:
    """The statuses a row of ``user``'s quote list can show: a customer never sees drafts."""
    if _is_customer(user):
        return [(s.value, s.label) for s in RevisionStatus if s in CUSTOMER_VISIBLE_STATUSES]
    return list(RevisionStatus.choices)


def _latest_sent(field: str) -> Subquery:
    """``field`` of the latest revision sent to the customer: what a customer's row shows."""
    return Subquery(
        QuoteRevision.objects.filter(quote=OuterRef("pk"), sent_at__isnull=False)
        .order_by("-number")
        .values(field)[:1]
    )


def _with_shown(quotes: QuerySet[Quote], user: User, field: str) -> QuerySet[Quote]:
    """``quotes`` annotated with ``list_<field>``: ``field`` of the revision each row shows."""
    if _is_customer(user):
        return quotes.annotate(**{f"list_{field}": _latest_sent(field)})
    return quotes.annotate(**{f"list_{field}": F(f"current_revision__{field}")})


def _search(term: str) -> QuerySet[Quote, Any]:
    """The keys of quotes whose number or title contains ``term``, or whose account's number or
    name does. On PostgreSQL each of the four is a trigram GIN index on ``UPPER(column)``
    (migration ``0006_quote_search``), which is what ``icontains`` compares. A union, not an OR:
    each arm is then an index probe (quotes by their own indexes; matching accounts, then their
    quotes by the account index), where an OR spanning two tables would filter every row."""
    by_quote = Quote.objects.filter(Q(number__icontains=term) | Q(title__icontains=term))
    accounts = Account.objects.filter(Q(number__icontains=term) | Q(name__icontains=term))
    by_account = Quote.objects.filter(account__in=accounts.values("pk"))
    return by_quote.order_by().values("pk").union(by_account.order_by().values("pk"))


def quote_list(
    *,
    user: User,
    search: str = "",
    status: str = "",
    account: Account | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[Quote]:
    """The quotes ``user`` may see, newest first (``QUOTE_LIST_ORDER``, served by an index), as
    bare rows: page it with ``corp_billing.paging.keyset_page(..., rows=quote_list_rows)``.

    ``search``, ``status`` (of the revision a row shows), ``account`` (one the caller got
    through ``contacts.selectors.account_get_for_user``) and ``sort`` (a key of
    ``QUOTE_SORTS``) narrow and order it; the unfiltered list is the same query as before."""
    quotes = quotes_visible_to(user)
    if account is not None:
        quotes = quotes.filter(account=account)
    if search:
        quotes = quotes.filter(pk__in=_search(search))
    if status:
        quotes = _with_shown(quotes, user, "status").filter(**{"list_status": status})
    if sort in ("total_desc", "total_asc"):
        quotes = _with_shown(quotes, user, "total")
    return quotes.order_by(*QUOTE_SORTS.get(sort, QUOTE_SORTS[DEFAULT_SORT])[1])


# What a list row shows of a quote and its revision: a list reads these columns only, not the
# sixty-odd of the three tables (a page of rows is mostly the cost of building its objects).
QUOTE_ROW_FIELDS = ("number", "title", "created_at", "account__number", "account__name")
REVISION_ROW_FIELDS = ("number", "status", "valid_until", "total", "currency")


def quote_list_rows(quotes: QuerySet[Quote], *, user: User, sort: str = "") -> QuerySet[Quote]:
    """What each row of the quote list shows; ``shown_revision`` gives each row's revision:
    the current one, for a customer the latest one sent to them, never a draft, with its
    acceptance's PO number if it was accepted. ``sort`` is the list's, for its sort key."""
    quotes = quotes.select_related("account")
    if sort in ("total_desc", "total_asc"):
        quotes = _with_shown(quotes, user, "total")
    if _is_customer(user):
        sent = (
            QuoteRevision.objects.filter(sent_at__isnull=False)
            .select_related("acceptance")
            .only("quote_id", *REVISION_ROW_FIELDS, "acceptance__po_number")
            .order_by("-number")
        )
        return quotes.only(*QUOTE_ROW_FIELDS).prefetch_related(
            Prefetch("revisions", queryset=sent, to_attr="sent_revisions")
        )
    revision = tuple(f"current_revision__{name}" for name in REVISION_ROW_FIELDS)
    return quotes.select_related("current_revision__acceptance").only(
        *QUOTE_ROW_FIELDS, *revision, "current_revision__acceptance__po_number"
    )


def shown_revision(*, user: User, quote: Quote) -> QuoteRevision:
    """For a quote of ``quote_list``: the revision its row shows."""
    if _is_customer(user):
        sent: list[QuoteRevision] = getattr(quote, "sent_revisions")  # noqa: B009  (prefetched)
        return sent[0]
    assert quote.current_revision is not None
    return quote.current_revision


def quote_get_for_user(*, user: User, number: str) -> Quote:
    quote = (
        quotes_visible_to(user).select_related("account", "created_by").filter(number=number)
    ).first()
    if quote is None:
        raise Http404("No such quote")
    return quote


def revisions_visible(*, user: User, quote: Quote) -> QuerySet[QuoteRevision]:
    revisions = QuoteRevision.objects.filter(quote=quote).select_related(
        "created_by", "approved_by", "sent_by", "decided_by", "acceptance__accepted_by"
    )
    if _is_customer(user):
        revisions = revisions.filter(sent_at__isnull=False)
    return revisions.order_by("number")


def revision_get_for_user(*, user: User, quote: Quote, number: int) -> QuoteRevision:
    revision = revisions_visible(user=user, quote=quote).filter(number=number).first()
    if revision is None:
        raise Http404("No such revision")
    revision.quote = quote
    return revision


def revision_shown(
    *, user: User, quote: Quote, revisions: list[QuoteRevision] | None = None
) -> QuoteRevision:
    """The revision a person sees first: the current one, or for a customer the latest sent.
    Pass the already loaded ``revisions_visible`` list to pick from it without a query."""
    if revisions is None:
        revisions = list(revisions_visible(user=user, quote=quote))
    if not revisions:
        raise Http404("No such quote")
    shown = revisions[-1]
    shown.quote = quote
    return shown


def revision_pick(*, quote: Quote, revisions: list[QuoteRevision], number: int) -> QuoteRevision:
    """Revision ``number`` out of the loaded ``revisions_visible`` list, else the same 404."""
    revision = next((r for r in revisions if r.number == number), None)
    if revision is None:
        raise Http404("No such revision")
    revision.quote = quote
    return revision


def revision_with_lines(revision: QuoteRevision) -> QuoteRevision:
    return (
        QuoteRevision.objects.select_related("quote__account", "quote__created_by")
        .prefetch_related(Prefetch("lines"))
        .get(pk=revision.pk)
    )


def quote_history(*, user: User, quote: Quote) -> QuerySet[AuditEvent]:
    """The quote's audit trail as ``user`` may read it: customers see what happened between
    them and the vendor, not the vendor's internal approval steps."""
    events = AuditEvent.objects.filter(object_type="quotes.quote", object_id=str(quote.pk))
    if _is_customer(user):
        events = events.filter(action__in=CUSTOMER_EVENTS)
    return events.select_related("actor").order_by(*HISTORY_ORDER)


HISTORY_ORDER = ["occurred_at", "id"]


# --- approval ----------------------------------------------------------------------------------


def revision_rule_hits(revision: QuoteRevision) -> list[RuleHit]:
    """The active rules this revision crosses. A unit price below the list price counts as the
    discount it effectively is, for each line and for the whole quote."""
    lines = list(revision.lines.all())
    figures = [
        LineFigures(
            line.position,
            line.name,
            effective_discount_percent(
                quantity=line.quantity,
                list_price=line.list_price,
                net_amount=line.net_amount,
                discount_percent=line.discount_percent,
            ),
        )
        for line in lines
    ]
    list_subtotal = sum(
        (
            round_money(line.quantity * line.list_price, revision.currency)
            if line.list_price is not None and line.list_price > line.unit_price
            else line.gross_amount
            for line in lines
        ),
        start=Decimal(0),
    )
    return evaluate(
        ApprovalRule.objects.filter(is_active=True),
        lines=figures,
        subtotal=list_subtotal,
        discount_total=list_subtotal - revision.total,
        total=revision.total,
        currency=revision.currency,
    )


def revision_has_valid_approval(revision: QuoteRevision) -> bool:
    """Approved, and nothing material changed since (see ``rules.material_fingerprint``)."""
    return bool(revision.approved_at) and revision.approved_fingerprint == material_fingerprint(
        revision, list(revision.lines.all())
    )


def revision_needs_approval(revision: QuoteRevision) -> bool:
    return bool(revision_rule_hits(revision)) and not revision_has_valid_approval(revision)
