"""Reads, always scoped to the user who asks. An object of another account and an object that
does not exist raise the same ``Http404``."""

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from . import permissions
from .models import Account, Membership, MembershipRole


def account_get_for_user(*, user, number: str, codename: str = "view_account") -> Account:
    account = permissions.accounts_with_permission(user, codename).filter(number=number).first()
    if account is None:
        raise Http404("No such account")
    return account


def customer_accounts_for_user(*, user):
    """The accounts the user is a customer of (billing contact or member)."""
    return Account.objects.filter(
        memberships__user=user,
        memberships__role__in=[MembershipRole.BILLING_CONTACT, MembershipRole.MEMBER],
    ).order_by("name")


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


def primary_billing_contact(*, account: Account) -> Membership | None:
    return (
        Membership.objects.filter(
            account=account, role=MembershipRole.BILLING_CONTACT, is_primary=True
        )
        .select_related("user")
        .first()
    )


def staff_account_list(*, user):
    """Accounts a vendor staff member may see, with what the staff home shows, in constant
    queries: contact counts are annotated and the primary contact and representatives are
    prefetched."""
    return (
        permissions.accounts_with_permission(user, "view_account")
        .annotate(
            billing_contact_count=Count(
                "memberships", filter=Q(memberships__role=MembershipRole.BILLING_CONTACT)
            )
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(
                    Q(is_primary=True) | Q(role=MembershipRole.REPRESENTATIVE)
                ).select_related("user"),
                to_attr="key_people",
            )
        )
        .order_by("name")
    )
