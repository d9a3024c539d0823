"""Reads, scoped to the user who asks. Another account's plan, invoice or card and a missing one
raise the same 404. The Billing Center serves self-service accounts; a corporate account's
Billing Center pages do not exist (its billing contacts use the Corporate Billing Portal)."""

from django.db.models import QuerySet
from django.http import Http404

from contacts.models import Account, AccountKind, Membership, MembershipRole, User
from contacts.permissions import accounts_with_permission, scoped_to_accounts

from .models import Invoice, PaymentMethod, Subscription, SubscriptionStatus


def billing_account_for_user(*, user: User, number: str) -> Account:
    """The self-service account ``number`` if ``user`` may see it at all (members too: they are
    shown whom to contact)."""
    account = (
        accounts_with_permission(user, "view_account")
        .filter(number=number, kind=AccountKind.SELF_SERVICE)
        .first()
    )
    if account is None:
        raise Http404("No such account")
    return account


def billing_center_accounts(*, user: User) -> QuerySet[Account]:
    """The self-service accounts ``user`` is a billing contact or member of, by name."""
    return Account.objects.filter(
        kind=AccountKind.SELF_SERVICE,
        memberships__user=user,
        memberships__role__in=[MembershipRole.BILLING_CONTACT, MembershipRole.MEMBER],
    ).order_by("name", "id")


def is_self_service_billing_contact(*, user: User) -> bool:
    return Membership.objects.filter(
        user=user, role=MembershipRole.BILLING_CONTACT, account__kind=AccountKind.SELF_SERVICE
    ).exists()


SUBSCRIPTION_LIST_ORDER = ["id"]
INVOICE_LIST_ORDER = ["-issued_on", "-id"]
PAYMENT_METHOD_LIST_ORDER = ["-id"]


def _billing(queryset: QuerySet, user: User) -> QuerySet:
    return scoped_to_accounts(queryset, user, "view_billing")


def subscription_list(*, user: User, account: Account) -> QuerySet[Subscription]:
    """The account's current plans, in ``SUBSCRIPTION_LIST_ORDER`` (index
    ``bc_subscription_list``). Cancelled plans are not listed: their invoices stay in the
    billing history."""
    return (
        _billing(Subscription.objects.filter(account=account), user)
        .exclude(status=SubscriptionStatus.CANCELLED)
        .select_related("product")
        .order_by(*SUBSCRIPTION_LIST_ORDER)
    )


def subscription_get(*, user: User, account: Account, pk: int) -> Subscription:
    sub = (
        _billing(Subscription.objects.filter(account=account, pk=pk), user)
        .select_related("product", "account")
        .first()
    )
    if sub is None:
        raise Http404("No such plan")
    return sub


def invoice_list(*, user: User, account: Account) -> QuerySet[Invoice]:
    """The billing history, newest first (``INVOICE_LIST_ORDER``, index ``bc_invoice_list``)."""
    return _billing(Invoice.objects.filter(account=account), user).order_by(*INVOICE_LIST_ORDER)


def invoice_get(*, user: User, account: Account, number: str) -> Invoice:
    invoice = (
        _billing(Invoice.objects.filter(account=account, number=number), user)
        .select_related("account", "subscription__product")
        .prefetch_related("lines")
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice")
    return invoice


def payment_method_list(*, user: User, account: Account) -> QuerySet[PaymentMethod]:
    return _billing(PaymentMethod.objects.filter(account=account), user).order_by(
        *PAYMENT_METHOD_LIST_ORDER
    )


def payment_method_get(*, user: User, account: Account, pk: int) -> PaymentMethod:
    method = (
        _billing(PaymentMethod.objects.filter(account=account, pk=pk), user)
        .select_related("account")
        .first()
    )
    if method is None:
        raise Http404("No such payment method")
    return method


def default_payment_method(*, user: User, account: Account) -> PaymentMethod | None:
    return _billing(PaymentMethod.objects.filter(account=account, is_default=True), user).first()
