"""The one place that grants and revokes per-account object permissions.

Every right a person has on an account comes from their ``Membership`` role (a per-account group
holding guardian object permissions on that ``Account``) or, for vendor staff who work across all
accounts, from their staff role. Nobody outside this module calls guardian's ``assign_perm`` or
``remove_perm``, and no customer ever holds a model-level permission.
"""

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian import shortcuts as guardian_shortcuts
from guardian.models import GroupObjectPermission, UserObjectPermission

from audit.models import AuditAction
from audit.services import audit_record

from .models import Account, MembershipRole, StaffRole

APP = "contacts"

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    MembershipRole.BILLING_CONTACT: (
        "view_account",
        "view_billing",
        "approve_quote",
        "propose_po_change",
        "manage_billing_contacts",
    ),
    MembershipRole.MEMBER: ("view_account",),
    MembershipRole.REPRESENTATIVE: (
        "view_account",
        "view_billing",
        "draft_quote",
        "review_po_change",
        "review_contact_change",
    ),
}

# Staff who work across every account hold these rights on all of them by role, not by grant.
STAFF_WIDE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    StaffRole.DEAL_DESK: ("view_account", "view_billing", "approve_deal"),
    StaffRole.FINANCE: ("view_account", "view_billing", "review_po_change"),
    StaffRole.ADMINISTRATOR: ("view_account", "view_billing"),
}


def _group_name(account: Account, role: str) -> str:
    return f"account:{account.pk}:{role}"


def account_group(account: Account, role: str) -> Group:
    """The per-account group of ``role``, created with its object permissions on first use."""
    group, created = Group.objects.get_or_create(name=_group_name(account, role))
    if created:
        for codename in ROLE_PERMISSIONS[role]:
            guardian_shortcuts.assign_perm(f"{APP}.{codename}", group, account)
    return group


@transaction.atomic
def grant_role(*, user, account: Account, role: str, actor=None, request=None) -> None:
    group = account_group(account, role)
    group.user_set.add(user)
    audit_record(
        action=AuditAction.PERMISSION_GRANTED,
        actor=actor,
        account=account,
        obj=user,
        after={"user": user.username, "role": role, "permissions": list(ROLE_PERMISSIONS[role])},
        request=request,
    )


@transaction.atomic
def revoke_role(*, user, account: Account, role: str, actor=None, request=None) -> None:
    group = account_group(account, role)
    group.user_set.remove(user)
    # A direct user grant should never exist, but if one was made by hand it must not outlive
    # the role.
    for codename in ROLE_PERMISSIONS[role]:
        guardian_shortcuts.remove_perm(f"{APP}.{codename}", user, account)
    audit_record(
        action=AuditAction.PERMISSION_REVOKED,
        actor=actor,
        account=account,
        obj=user,
        before={"user": user.username, "role": role, "permissions": list(ROLE_PERMISSIONS[role])},
        request=request,
    )


def staff_wide_permissions(user) -> tuple[str, ...]:
    if not user.is_authenticated or not user.is_active:
        return ()
    return STAFF_WIDE_PERMISSIONS.get(user.staff_role, ())


def has_all_accounts(user, codename: str = "view_account") -> bool:
    return codename in staff_wide_permissions(user)


def accounts_with_permission(user, codename: str = "view_account"):
    """Accounts on which ``user`` holds ``codename``; global grants never count."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if has_all_accounts(user, codename):
        return Account.objects.all()
    perm = f"{APP}.{codename}"
    # Neither a global grant nor superuser status counts: per-account object rights only.
    return guardian_shortcuts.get_objects_for_user(user, perm, klass=Account, accept_global_perms=False, with_superuser=False)  # noqa: E501  # fmt: skip


def permissions_by_account(user, accounts) -> dict[int, frozenset[str]]:
    """Codenames ``user`` holds on each of ``accounts`` (object grants plus staff role), in two
    queries whatever the number of accounts. Superuser status grants nothing here: an
    administrator must not silently gain a customer's right to accept a quote."""
    pks = [a.pk for a in accounts]
    if not user.is_authenticated or not user.is_active or not pks:
        return {pk: frozenset() for pk in pks}
    wide = frozenset(staff_wide_permissions(user))
    ctype = ContentType.objects.get_for_model(Account)
    keys = [str(pk) for pk in pks]
    found: dict[str, set[str]] = {key: set() for key in keys}
    group_rows = GroupObjectPermission.objects.filter(
        group__user=user, content_type=ctype, object_pk__in=keys
    ).values_list("object_pk", "permission__codename")
    user_rows = UserObjectPermission.objects.filter(
        user=user, content_type=ctype, object_pk__in=keys
    ).values_list("object_pk", "permission__codename")
    for object_pk, codename in [*group_rows, *user_rows]:
        found[object_pk].add(codename)
    return {int(key): frozenset(codes) | wide for key, codes in found.items()}


def account_permissions(user, account: Account) -> frozenset[str]:
    return permissions_by_account(user, [account])[account.pk]


def has_account_permission(user, codename: str, account: Account) -> bool:
    """Checked again whenever an action is executed, not only when a task is assigned."""
    return codename in account_permissions(user, account)
