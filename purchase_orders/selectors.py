"""Reads, scoped to the user who asks. Another account's PO, change or document and a missing one
raise the same 404.

Who reads a ledger: the account's billing contacts (``propose_po_change``) and those who review
its changes (``review_po_change``: its representatives, finance on every account), through
``contacts.permissions``. Deal desk and account members see no PO.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from contacts.models import Account, User
from contacts.permissions import has_all_accounts, scoped_to_accounts
from quotes.models import Acceptance
from quotes.money import DECIMAL_PLACES, MAX_DIGITS, round_money

from . import policy
from .models import ChangeStatus, PurchaseOrder, PurchaseOrderChange, PurchaseOrderDocument

LIST_ORDER = ["-created_at", "-id"]
CHANGE_ORDER = ["-proposed_at", "-id"]
MONEY = DecimalField(max_digits=MAX_DIGITS + 4, decimal_places=DECIMAL_PLACES)


def readable(queryset: QuerySet, user: User, *, field: str = "account") -> QuerySet:
    """``queryset`` narrowed to rows whose ``field`` is an account whose POs ``user`` reads."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if any(has_all_accounts(user, right) for right in policy.READ_RIGHTS):
        return queryset
    by_right = [
        scoped_to_accounts(queryset, user, right, field=field) for right in policy.READ_RIGHTS
    ]
    # Two integer IN sub-selects OR-ed: a contact holds one right, a representative the other.
    return by_right[0] | by_right[1]


def accounts_to_create_on(*, user: User) -> list[Account]:
    """The accounts on which ``user`` may enter a PO (billing contacts: their own), by name;
    the PO list links each one's ledger and create page."""
    right = policy.RIGHTS[policy.Action.CREATE]
    accounts = scoped_to_accounts(Account.objects.all(), user, right, field="pk")
    return list(accounts.order_by("name", "id")[:20])


def may_read_some_ledger(user: User) -> bool:
    return readable(Account.objects.all(), user, field="pk").exists()


def with_figures(queryset: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    """Each PO with ``drawn`` (the totals of the accepted quotes charged to it) and
    ``remaining``, computed by the database as one correlated sum per row."""
    totals = (
        Acceptance.objects.filter(purchase_order=OuterRef("pk"))
        .order_by()
        .values("purchase_order")
        .annotate(t=Sum("revision__total"))
        .values("t")
    )
    drawn = Coalesce(Subquery(totals, output_field=MONEY), Value(Decimal(0)), output_field=MONEY)
    return queryset.annotate(drawn=drawn).annotate(
        remaining=ExpressionWrapper(F("amount") - F("drawn"), output_field=MONEY)
    )


def flags(po: PurchaseOrder) -> dict[str, Any]:
    """What the ledger shows of a PO annotated by ``with_figures``: its status as of today, the
    figures rounded to the currency, and the two warnings."""
    today = policy.today_for(po.account)
    status = policy.effective_status(po, today)
    amount = round_money(po.amount, po.currency)
    drawn = round_money(getattr(po, "drawn", None) or Decimal(0), po.currency)
    used = (drawn * 100 / amount) if amount else Decimal(0)
    return {
        "status": status,
        "status_label": policy.P(status).label,
        "drawn": drawn,
        "remaining": amount - drawn,
        "used_percent": used.quantize(Decimal(1)),
        "near_expiry": status == policy.P.ACTIVE
        and po.valid_to - today <= timedelta(days=policy.EXPIRY_WARNING_DAYS),
        # A warning is about what can still be charged: none for a closed (or expired) PO.
        "nearly_used": status == policy.P.ACTIVE and used > policy.NEARLY_USED_PERCENT,
    }


def ledger(*, user: User, account: Account | None = None) -> QuerySet[PurchaseOrder]:
    """The POs ``user`` reads (of ``account``, or of all their accounts), newest first
    (``LIST_ORDER``, served by an index): page it with ``keyset_page(..., rows=ledger_rows)``."""
    queryset = PurchaseOrder.objects.all()
    if account is not None:
        queryset = queryset.filter(account=account)
    return readable(queryset, user).order_by(*LIST_ORDER)


def ledger_rows(queryset: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    """What each ledger row shows, in constant queries: figures by correlated sums for the
    page's rows only, and the pending changes in one prefetch."""
    return prefetch_changes(with_figures(queryset.select_related("account")))


def account_for_ledger(*, user: User, number: str) -> Account:
    account = readable(Account.objects.all(), user, field="pk").filter(number=number).first()
    if account is None:
        raise Http404("No such account")
    return account


def po_get_for_user(*, user: User, pk: int) -> PurchaseOrder:
    po = (
        with_figures(readable(PurchaseOrder.objects.all(), user))
        .select_related("account", "created_by", "document")
        .filter(pk=pk)
        .first()
    )
    if po is None:
        raise Http404("No such purchase order")
    return po


def change_get_for_user(*, user: User, pk: int) -> PurchaseOrderChange:
    change = (
        readable(PurchaseOrderChange.objects.all(), user, field="purchase_order__account")
        .select_related("purchase_order__account", "proposed_by")
        .filter(pk=pk)
        .first()
    )
    if change is None:
        raise Http404("No such change")
    return change


def document_get_for_user(*, user: User, pk: int) -> PurchaseOrderDocument:
    document = (
        readable(PurchaseOrderDocument.objects.all(), user, field="purchase_order__account")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404("No such document")
    return document


def po_of_account(*, account: Account, pk: int) -> PurchaseOrder | None:
    """The account's PO ``pk`` to charge a quote to; None for another account's or a missing
    one (the caller answers both alike)."""
    return PurchaseOrder.objects.filter(pk=pk, account=account).first()


def po_changes(*, po: PurchaseOrder) -> QuerySet[PurchaseOrderChange]:
    """Every change of ``po``, newest first, with who proposed and decided and the document:
    page it with ``keyset_page(..., ordering=CHANGE_ORDER)``."""
    return (
        PurchaseOrderChange.objects.filter(purchase_order=po)
        .select_related("proposed_by", "decided_by", "document")
        .order_by(*CHANGE_ORDER)
    )


def po_open_changes(*, po: PurchaseOrder) -> list[PurchaseOrderChange]:
    """The changes still waiting: for review, or for a billing contact to re-base."""
    return list(
        po_changes(po=po).filter(status__in=[ChangeStatus.PENDING, ChangeStatus.CONFLICTED])[:20]
    )


def po_documents(*, po: PurchaseOrder) -> QuerySet[PurchaseOrderDocument]:
    return PurchaseOrderDocument.objects.filter(purchase_order=po).select_related("uploaded_by")


def po_quotes(*, po: PurchaseOrder) -> QuerySet[Acceptance]:
    """The accepted quotes charged to ``po``."""
    return (
        Acceptance.objects.filter(purchase_order=po)
        .select_related("revision__quote", "accepted_by")
        .order_by("-accepted_at", "-id")
    )


def usable_for(*, account: Account) -> list[PurchaseOrder]:
    """The account's POs a quote could be charged to today, for the acceptance form: active
    and valid today (each is checked again, locked, when the quote is accepted)."""
    today = policy.today_for(account)
    pos = with_figures(
        PurchaseOrder.objects.filter(
            account=account,
            status=policy.P.ACTIVE,
            valid_from__lte=today,
            valid_to__gte=today,
        ).select_related("account")
    )
    return [po for po in pos.order_by("valid_to", "id")[:100] if po.remaining > 0]  # type: ignore[attr-defined]


def prefetch_changes(queryset: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    return queryset.prefetch_related(
        Prefetch(
            "changes",
            queryset=PurchaseOrderChange.objects.filter(status=ChangeStatus.PENDING),
            to_attr="pending_changes",
        )
    )
