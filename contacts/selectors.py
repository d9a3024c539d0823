"""Reads, always scoped to the user who asks. An object of another account and an object that
does not exist raise the same ``Http404``."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from corp_billing.paging import Page, keyset_page

from . import permissions
from .models import Account, ContactChange, Membership, MembershipRole, User


def account_get_for_user(*, user: User, number: str, codename: str = "view_account") -> Account:
    account = permissions.accounts_with_permission(user, codename).filter(number=number).first()
    if account is None:
        raise Http404("No such account")
    return account


ACCOUNT_LIST_ORDER = ["name", "id"]
# What ``User.display_name`` reads.
NAME_FIELDS = ("first_name", "last_name", "username")


def customer_accounts_for_user(*, user: User) -> QuerySet[Account]:
    """The accounts the user is a customer of (billing contact or member), by name."""
    return Account.objects.filter(
        memberships__user=user,
        memberships__role__in=[MembershipRole.BILLING_CONTACT, MembershipRole.MEMBER],
    ).order_by(*ACCOUNT_LIST_ORDER)


def account_people(*, account: Account) -> dict[str, list[Membership]]:
    """Billing contacts (primary first), members and representatives, in one query."""
    people: dict[str, list[Membership]] = {
        "billing_contacts": [],
        "members": [],
        "representatives": [],
    }
    key: dict[str, str] = {
        MembershipRole.BILLING_CONTACT: "billing_contacts",
        MembershipRole.MEMBER: "members",
        MembershipRole.REPRESENTATIVE: "representatives",
    }
    for membership in (
        Membership.objects.filter(account=account)
        .select_related("user")
        .order_by("-is_primary", "user__last_name", "user__first_name", "user__username")
    ):
        people[key[membership.role]].append(membership)
    return people


def billing_contact_count(*, account: Account) -> int:
    return Membership.objects.filter(account=account, role=MembershipRole.BILLING_CONTACT).count()


def primary_billing_contact(*, account: Account) -> Membership | None:
    return (
        Membership.objects.filter(
            account=account, role=MembershipRole.BILLING_CONTACT, is_primary=True
        )
        .select_related("user")
        .first()
    )


def staff_account_list(*, user: User) -> QuerySet[Account]:
    """Accounts a vendor staff member may see, by name (``ACCOUNT_LIST_ORDER``), as bare rows:
    page it with ``keyset_page(..., rows=staff_account_rows)``."""
    return permissions.scoped_to_accounts(
        Account.objects.all(), user, "view_account", field="pk"
    ).order_by(*ACCOUNT_LIST_ORDER)


def staff_account_rows(accounts: QuerySet[Account]) -> QuerySet[Any, Any]:
    """What the staff home shows of each account, as plain values (no model instances): its
    columns and the billing-contact count, a correlated count for the page's rows only."""
    contact_count = (
        Membership.objects.filter(account=OuterRef("pk"), role=MembershipRole.BILLING_CONTACT)
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return accounts.values("id", "number", "name", "kind", "currency").annotate(
        billing_contact_count=Coalesce(Subquery(contact_count, output_field=IntegerField()), 0)
    )


@dataclass(frozen=True)
class Person:
    """A person as a list row names them."""

    display_name: str
    username: str


def _person(first_name: str, last_name: str, username: str) -> Person:
    # As ``User.display_name``: the full name, or the User ID when there is none.
    return Person(f"{first_name} {last_name}".strip() or username, username)


def staff_account_page(*, user: User, request: HttpRequest) -> Page:
    """One page of ``staff_account_list``; each row (a dict) also carries ``primary`` (a
    ``Person`` or ``None``) and ``representatives`` (``Person``s, by name), read for the page's
    accounts in one more query."""
    page = keyset_page(
        staff_account_list(user=user),
        ordering=ACCOUNT_LIST_ORDER,
        request=request,
        rows=staff_account_rows,
    )
    key_people: dict[int, dict] = {
        row["id"]: {"primary": None, "representatives": []} for row in page.rows
    }
    for account_id, is_primary, *name in (
        Membership.objects.filter(account__any_of=list(key_people))
        .filter(Q(is_primary=True) | Q(role=MembershipRole.REPRESENTATIVE))
        .order_by(*(f"user__{f}" for f in ("last_name", "first_name", "username")))
        .values_list("account_id", "is_primary", *(f"user__{f}" for f in NAME_FIELDS))
    ):
        people = key_people[account_id]
        if is_primary:
            people["primary"] = _person(*name)
        else:
            people["representatives"].append(_person(*name))
    for row in page.rows:
        row.update(key_people[row["id"]])
    return page


# --- billing-contact changes -----------------------------------------------------------------

CONTACT_CHANGE_ORDER = ["-proposed_at", "-id"]


def contact_change_get_for_user(*, user: User, pk: int) -> ContactChange:
    """A change of an account whose billing the user may see; another account's change and a
    missing one raise the same ``Http404``."""
    change = (
        permissions.scoped_to_accounts(ContactChange.objects.all(), user, "view_billing")
        .select_related("account")
        .filter(pk=pk)
        .first()
    )
    if change is None:
        raise Http404("No such change")
    return change


def account_contact_changes(*, account: Account) -> QuerySet[ContactChange]:
    """The account's contact changes, newest first (``CONTACT_CHANGE_ORDER``), as bare rows:
    page it with ``keyset_page(..., rows=contact_change_rows)``. The caller has checked that
    the person may see the account's billing."""
    return ContactChange.objects.filter(account=account).order_by(*CONTACT_CHANGE_ORDER)


def contact_change_rows(changes: QuerySet[ContactChange]) -> QuerySet[ContactChange]:
    """What a page of changes shows, in one query whatever the number of changes."""
    return changes.select_related("account", "proposer", "decider", "target")
