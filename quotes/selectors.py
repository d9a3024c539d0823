"""Reads, scoped to the user who asks. Another account's quote and a missing one raise the same
404. Customers never see drafts: only revisions that were sent to them."""

import json
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from audit.models import AuditAction, AuditEvent
from contacts.models import Account, User
from contacts.permissions import (
    account_ids_with_permission,
    has_all_accounts,
    scoped_to_accounts,
)

from .models import (
    CUSTOMER_VISIBLE_STATUSES,
    ApprovalRule,
    ApprovalTier,
    Quote,
    QuoteRevision,
    RevisionStatus,
    RuleCheck,
)
from .money import minor_unit, round_money
from .periods import PERIODS, total_covers
from .rules import (
    LineFigures,
    RuleHit,
    deal_terms_fingerprint,
    effective_discount_percent,
    evaluate,
    format_measured,
)

# What a customer may read of a quote's history; approvals are the vendor's internal business.
CUSTOMER_EVENTS = (
    AuditAction.QUOTE_SENT,
    AuditAction.QUOTE_ACCEPTED,
    AuditAction.QUOTE_FIRST_ACCEPTANCE,
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
    (migration ``0009_quote_search``), which is what ``icontains`` compares. A union, not an OR:
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
# sixty-odd of the three tables (a page of rows is mostly the cost of building its objects), and
# the account's number and name and the PO number as values on the row, not as objects.
QUOTE_ROW_FIELDS = ("number", "title", "created_at")
REVISION_ROW_FIELDS = ("number", "status", "valid_until", "total", "currency")
_ACCOUNT_OF_ROW = {"account_number": F("account__number"), "account_name": F("account__name")}


def quote_list_rows(quotes: QuerySet[Quote], *, user: User, sort: str = "") -> QuerySet[Quote]:
    """What each row of the quote list shows: the quote with ``account_number`` and
    ``account_name``; ``shown_revision`` gives each row's revision: the current one, for a
    customer the latest one sent to them, never a draft, with its acceptance's PO number as
    ``po_number`` (``None`` if it was not accepted). ``sort`` is the list's, for its sort key."""
    quotes = quotes.annotate(**_ACCOUNT_OF_ROW)
    if sort in ("total_desc", "total_asc"):
        quotes = _with_shown(quotes, user, "total")
    if _is_customer(user):
        sent = (
            QuoteRevision.objects.filter(sent_at__isnull=False)
            .annotate(po_number=F("acceptance__po_number"))
            .only("quote_id", *REVISION_ROW_FIELDS)
            .order_by("-number")
        )
        return quotes.only(*QUOTE_ROW_FIELDS).prefetch_related(
            Prefetch("revisions", queryset=sent, to_attr="sent_revisions")
        )
    revision = tuple(f"current_revision__{name}" for name in REVISION_ROW_FIELDS)
    return (
        quotes.annotate(current_po_number=F("current_revision__acceptance__po_number"))
        .select_related("current_revision")
        .only(*QUOTE_ROW_FIELDS, *revision)
    )


def shown_revision(*, user: User, quote: Quote) -> QuoteRevision:
    """For a quote of ``quote_list_rows``: the revision its row shows, with ``po_number``."""
    if _is_customer(user):
        sent: list[QuoteRevision] = getattr(quote, "sent_revisions")  # noqa: B009  (prefetched)
        return sent[0]
    revision = quote.current_revision
    assert revision is not None
    revision.po_number = getattr(quote, "current_po_number", None)  # type: ignore[attr-defined]
    return revision


def quote_get_for_user(*, user: User, number: str) -> Quote:
    quote = (
        quotes_visible_to(user).select_related("account", "created_by").filter(number=number)
    ).first()
    if quote is None:
        raise Http404("No such quote")
    return quote


def revisions_visible(*, user: User, quote: Quote) -> QuerySet[QuoteRevision]:
    """The revisions of ``quote`` ``user`` may read, with their people and acceptance; the
    acceptance's two kept PDFs (hundreds of KB for a long quote) are left in the database
    until a download reads them."""
    revisions = (
        QuoteRevision.objects.filter(quote=quote)
        .select_related(
            "created_by", "approved_by", "sent_by", "decided_by", "acceptance__accepted_by"
        )
        .defer("acceptance__pdf", "acceptance__stamped_pdf")
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


# Tiers approve in this order; a later tier's approval also covers an earlier tier's rule.
TIER_ORDER: tuple[str, ...] = (ApprovalTier.DEAL_DESK, ApprovalTier.FINANCE)


def _latest_approvals(revision: QuoteRevision) -> dict[int, RuleCheck]:
    """For each rule: the latest approved check of this quote, on this revision (approved by
    a tier before a later one sent it back) or an earlier one."""
    checks = (
        RuleCheck.objects.filter(
            revision__quote_id=revision.quote_id,
            revision__number__lte=revision.number,
            approved_at__isnull=False,
            rule__isnull=False,
        )
        .select_related("approved_by", "revision")
        .order_by("revision__number", "id")
    )
    return {check.rule_id: check for check in checks if check.rule_id is not None}


def _carries_over(earlier: RuleCheck, check: RuleCheck, terms: str) -> bool:
    """An approval still covers the rule if the value it approved is not exceeded now (a lower
    discount, a lower total is better for the vendor), the deal's terms (``terms``, see
    ``rules.deal_terms_fingerprint``) are those it approved, and it was given at the tier that
    must approve the rule now, or a later one."""
    return (
        earlier.approved_value is not None
        and check.measured <= earlier.approved_value
        and earlier.approved_terms == terms
        and TIER_ORDER.index(earlier.tier) >= TIER_ORDER.index(check.tier)
    )


def approval_plan(revision: QuoteRevision) -> list[RuleCheck]:
    """What submitting ``revision`` now would freeze on it (unsaved): one check per active rule
    that fires, with the largest value measured, its tier and threshold as the rule says now,
    and for each whether an earlier approval carries over (and why) or its tier must approve."""
    grouped: dict[int | None, list[RuleHit]] = {}
    for hit in revision_rule_hits(revision):
        grouped.setdefault(hit.rule_id, []).append(hit)
    earlier_approvals = _latest_approvals(revision) if grouped else {}
    terms = deal_terms_fingerprint(revision)
    checks = []
    for rule_id, hits in grouped.items():
        first = hits[0]
        check = RuleCheck(
            revision=revision,
            rule_id=rule_id,
            rule_name=first.rule_name,
            kind=first.kind,
            tier=first.tier,
            threshold=first.threshold,
            measured=max(hit.measured for hit in hits),
            explanation=" ".join(hit.explanation for hit in hits),
        )
        earlier = earlier_approvals.get(rule_id) if rule_id is not None else None
        if earlier is not None and _carries_over(earlier, check, terms):
            assert earlier.approved_value is not None  # checked by _carries_over
            check.approved_value = earlier.approved_value
            check.approved_by = earlier.approved_by
            check.approved_at = earlier.approved_at
            check.approved_terms = terms
            check.carried_from = earlier.carried_from or earlier.revision.number
            check.carry_reason = _carry_reason(revision, earlier, check)
        elif earlier is not None:
            check.carry_reason = _no_carry_reason(revision, earlier, check, terms)
        checks.append(check)
    return checks


def _carry_reason(revision: QuoteRevision, earlier: RuleCheck, check: RuleCheck) -> str:
    approved = format_measured(check.kind, earlier.approved_value, revision.currency)
    now = format_measured(check.kind, check.measured, revision.currency)
    how = "unchanged" if check.measured == earlier.approved_value else "lower"
    assert earlier.approved_by is not None  # an approved check names its approver
    tier = ApprovalTier(earlier.tier).label.lower()
    source = check.carried_from
    where = "before" if source == revision.number else f"on revision {source}"
    return (
        f"{earlier.approved_by.display_name} ({tier}) approved {approved} {where}; "
        f"it is {now} now, {how}."
    )


def _no_carry_reason(
    revision: QuoteRevision, earlier: RuleCheck, check: RuleCheck, terms: str
) -> str:
    """Why an earlier approval of the rule does not cover it now."""
    approved = format_measured(check.kind, earlier.approved_value, revision.currency)
    source = earlier.carried_from or earlier.revision.number
    where = "before" if source == revision.number else f"on revision {source}"
    if earlier.approved_value is not None and check.measured > earlier.approved_value:
        now = format_measured(check.kind, check.measured, revision.currency)
        why = f"it is {now} now, higher"
    elif earlier.approved_terms != terms:
        why = "the term, billing frequency, validity or terms changed since"
    else:
        why = "it was approved by an earlier tier than the one that approves it now"
    return f"Approved {approved} {where}, but {why}: asked again."


def tiers_to_ask(checks: list[RuleCheck]) -> list[str]:
    """The tiers that must still approve, in order."""
    waiting = {check.tier for check in checks if check.needs_approval}
    return [tier for tier in TIER_ORDER if tier in waiting]


def revision_checks(revision: QuoteRevision) -> list[RuleCheck]:
    """The rules frozen on ``revision`` at its last submission."""
    return list(revision.rule_checks.select_related("approved_by"))


def approval_shown(revision: QuoteRevision, *, editable: bool) -> list[RuleCheck]:
    """What the quote page lists for staff: for a draft (``editable``), what submitting it now
    would ask; otherwise the checks frozen when it was submitted."""
    return approval_plan(revision) if editable else revision_checks(revision)


def sent_back_by(revision: QuoteRevision) -> str:
    """Which tier sent the quote back last: "finance" or "deal desk"."""
    last = (
        AuditEvent.objects.filter(
            object_type="quotes.quote",
            object_id=str(revision.quote_id),
            action__in=(AuditAction.QUOTE_SENT_BACK, AuditAction.QUOTE_FINANCE_SENT_BACK),
        )
        .order_by("-occurred_at", "-id")
        .values_list("action", flat=True)
        .first()
    )
    return "finance" if last == AuditAction.QUOTE_FINANCE_SENT_BACK else "deal desk"


def edit_preview_config(revision: QuoteRevision) -> str:
    """What the edit page's live preview needs, as JSON for a data attribute: the currency's
    minor unit and the active approval rules. Only the drafting representative sees the edit
    page; the rules are not secret from them (the quote page names the rule that fired)."""
    rules = [
        {"name": rule.name, "kind": rule.kind, "threshold": str(rule.threshold)}
        for rule in ApprovalRule.objects.filter(is_active=True)
    ]
    return json.dumps(
        {
            "currency": revision.currency,
            "places": minor_unit(revision.currency),
            "rules": rules,
            "covers": {code: total_covers(code) for code in PERIODS},
            "period_months": {code: months for code, (_, _, months) in PERIODS.items()},
        }
    )


# --- starting a quote ------------------------------------------------------------------------

DRAFTABLE_ORDER = ["name", "id"]


def draftable_accounts(*, user: User, query: str = "") -> QuerySet[Account]:
    """The accounts on which ``user`` may draft quotes (through ``contacts.permissions``), by
    name; ``query`` narrows them to a number or name containing it. Page it with
    ``keyset_page(..., ordering=DRAFTABLE_ORDER)``."""
    accounts = scoped_to_accounts(Account.objects.all(), user, "draft_quote", field="pk")
    query = query.strip()
    if query:
        accounts = accounts.filter(Q(number__icontains=query) | Q(name__icontains=query))
    return accounts.only("number", "name", "currency", "time_zone").order_by(*DRAFTABLE_ORDER)


def may_draft_quotes(*, user: User) -> bool:
    # From the person's cached account ids (``contacts.permissions``): the quotes list asks on
    # every request, and a query for it cost more than the list's own.
    if not user.is_authenticated or not user.is_active:
        return False
    return has_all_accounts(user, "draft_quote") or bool(
        account_ids_with_permission(user, "draft_quote")
    )
