"""The one place that grants and revokes per-account object permissions.

Every right a person has on an account comes from their ``Membership`` role (a per-account group
holding guardian object permissions on that ``Account``) or, for vendor staff who work across all
accounts, from their staff role. Nobody outside this module calls guardian's ``assign_perm`` or
``remove_perm``, and no customer ever holds a model-level permission.
"""

import functools
import hashlib

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from guardian import shortcuts as guardian_shortcuts

from audit.models import AuditAction
from audit.services import audit_record

from .models import (
    Account,
    AccountGroupObjectPermission,
    AccountUserObjectPermission,
    MembershipRole,
    StaffRole,
    User,
)

APP = "contacts"

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    MembershipRole.BILLING_CONTACT: (
        "view_account",
        "view_billing",
        # The Billing Center's writes (plans, seats, frequency, card): the customer's own.
        "manage_billing",
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
    # export_finance: the finance spreadsheets (``finance.selectors.may_export``); a role's
    # right, never an object grant, so it needs no permission row.
    StaffRole.FINANCE: (
        "view_account",
        "view_billing",
        "review_po_change",
        "approve_finance",
        "export_finance",
    ),
    StaffRole.ADMINISTRATOR: ("view_account", "view_billing"),
}


# Which rights each role's group holds is part of every cached grant set's key: a release that
# changes it (with the migration that re-grants the groups) never reads a set cached before.
_ROLES_DIGEST = hashlib.sha256(repr(sorted(ROLE_PERMISSIONS.items())).encode()).hexdigest()[:12]
# Memory bound only; freshness comes from the key (see ``_cache_key``).
GRANTS_CACHE_SECONDS = 600


def _group_name(account: Account, role: str) -> str:
    return f"account:{account.pk}:{role}"


def account_group(account: Account, role: str) -> Group:
    """The per-account group of ``role``, created with its object permissions on first use."""
    group, created = Group.objects.get_or_create(name=_group_name(account, role))
    if created:
        for codename in ROLE_PERMISSIONS[role]:
            guardian_shortcuts.assign_perm(f"{APP}.{codename}", group, account)
    return group


def grants_changed(user_ids) -> None:
    """Every change of who holds what on an account ends here, in its transaction: the people's
    cached account ids (``account_ids_with_permission``) are never read again."""
    User.objects.filter(pk__in=list(user_ids)).update(grants_version=F("grants_version") + 1)


@transaction.atomic
def grant_role(*, user, account: Account, role: str, actor=None, request=None) -> None:
    group = account_group(account, role)
    group.user_set.add(user)
    grants_changed([user.pk])
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
    grants_changed([user.pk])
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


def _account_type_id() -> int:
    # ContentType's own per-process cache (cleared by Django whenever content types are
    # recreated): a list's scoping sub-select names the type by id instead of joining its table.
    return ContentType.objects.get_for_model(Account).pk


def _groups_of(user):
    # The user's group ids straight from the membership table (no join through auth_group).
    return User.groups.through.objects.filter(user_id=user.pk).values("group_id")


def _cache_key(user, codename: str) -> str:
    # The grants version changes with every grant or revocation of the person, in the same
    # transaction; the moment they joined tells apart two users given the same id (a rolled-back
    # insert on SQLite reuses it).
    joined = user.date_joined.timestamp()
    return f"grants:{_ROLES_DIGEST}:{user.pk}:{joined}:{user.grants_version}:{codename}"


def account_ids_with_permission(user, codename: str = "view_account") -> list[int]:
    """The ids of the accounts on which ``user`` holds ``codename`` by object grant, to use as
    ``account_id__in=``. Staff-wide rights are not in it: see ``accounts_with_permission``.

    Cached per person and right under a key that changes whenever their grants change
    (``grants_changed``): a scoped list then filters on known ids, which PostgreSQL plans
    exactly (a representative on 1,000 accounts walks the list's ordering index and stops at
    a page) instead of reading 1,000 groups' grants on every request."""
    return account_ids_by_permission(user, [codename])[codename]


def _grants_sql(user, codenames: list[str], *, with_permission: bool) -> tuple[str, list]:
    """SQL for the user's grant rows of ``codenames`` on accounts: the account's id (and the
    permission's, if ``with_permission``), and its parameters."""
    text = _grants_sql_text(connection.vendor, len(codenames), with_permission)
    one = [_account_type_id(), *codenames]
    return text, [*one, user.pk, user.pk, *one]


@functools.cache
def _grants_sql_text(vendor: str, codenames: int, with_permission: bool) -> str:
    by_group = AccountGroupObjectPermission._meta
    by_user = AccountUserObjectPermission._meta
    member = User.groups.through._meta
    permission = Permission._meta

    def column(meta, name: str) -> str:
        return meta.get_field(name).column

    codename = column(permission, "codename")
    permissions = (
        f"SELECT {permission.pk.column} FROM {permission.db_table} "  # noqa: S608
        f"WHERE {column(permission, 'content_type')} = %s "
        f"AND {codename} IN ({', '.join(['%s'] * codenames)})"
    )
    # One permission: a scalar sub-select (estimated as one row, so one account per group);
    # several: ARRAY(…), read once for all groups rather than once per group.
    one_of_permissions = f"= ({permissions})" if codenames == 1 else f"= ANY(ARRAY({permissions}))"
    granted = column(by_group, "content_object")
    by_group_permission = column(by_group, "permission")
    group_columns = f"g.{granted} AS account_id" + (
        f", g.{by_group_permission} AS permission_id" if with_permission else ""
    )
    if vendor == "postgresql":
        # One index probe per group of the user (each group is one account's role), whatever
        # the number of grants on all accounts: a person on 1,000 accounts reads 1,000 index
        # entries, not a hash of every account's grants. OFFSET 0 keeps PostgreSQL from
        # flattening the lateral sub-select back into that hash join.
        by_groups = (
            f"SELECT {group_columns} FROM {member.db_table} m CROSS JOIN LATERAL ("  # noqa: S608
            f"SELECT {granted}, {by_group_permission} FROM {by_group.db_table} "
            f"WHERE {column(by_group, 'group')} = m.{column(member, 'group')} "
            f"AND {by_group_permission} {one_of_permissions} OFFSET 0) g "
            f"WHERE m.{column(member, 'user')} = %s"
        )
    else:
        by_groups = (
            f"SELECT {group_columns} FROM {by_group.db_table} g "  # noqa: S608
            f"WHERE g.{by_group_permission} IN ({permissions}) "
            f"AND g.{column(by_group, 'group')} IN (SELECT m.{column(member, 'group')} "
            f"FROM {member.db_table} m WHERE m.{column(member, 'user')} = %s)"
        )
    user_columns = f"u.{column(by_user, 'content_object')}" + (
        f", u.{column(by_user, 'permission')}" if with_permission else ""
    )
    by_direct_grant = (
        f"SELECT {user_columns} FROM {by_user.db_table} u "  # noqa: S608
        f"WHERE u.{column(by_user, 'user')} = %s "
        f"AND u.{column(by_user, 'permission')} IN ({permissions})"
    )
    return f"{by_groups} UNION {by_direct_grant}"


def accounts_with_permission(user, codename: str = "view_account"):
    """Accounts on which ``user`` holds ``codename``; global grants and superuser status never
    count: per-account object rights only, read from the direct foreign-key tables."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if has_all_accounts(user, codename):
        return Account.objects.all()
    return Account.objects.filter(pk__any_of=account_ids_with_permission(user, codename))


def account_ids_by_permission(user, codenames) -> dict[str, list[int]]:
    """For each of ``codenames``: the ids of the accounts on which ``user`` holds it by object
    grant, read in one query. Staff-wide rights are not in it (see ``has_all_accounts``).

    For a query that needs several rights (the inbox: one per kind of task), and that must
    know before it is built on which rights the user holds nothing, so as to leave those arms
    out."""
    found: dict[str, list[int]] = {codename: [] for codename in codenames}
    if not user.is_authenticated or not user.is_active or not found:
        return found
    keys = {codename: _cache_key(user, codename) for codename in found}
    cached = cache.get_many(list(keys.values()))
    missing = [codename for codename, key in keys.items() if key not in cached]
    for codename in found:
        if codename not in missing:
            found[codename] = cached[keys[codename]]
    if not missing:
        return found
    sql, params = _grants_sql(user, missing, with_permission=True)
    permission = Permission._meta
    # Named once per row by a join to the few permission rows (a sub-select per row cost more
    # than the query).
    named = (
        f"SELECT grant_row.account_id, p.{permission.get_field('codename').column} "  # noqa: S608
        f"FROM ({sql}) grant_row "
        f"JOIN {permission.db_table} p ON p.{permission.pk.column} = grant_row.permission_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(named, params)
        rows = cursor.fetchall()
    for account_id, codename in rows:
        found[codename].append(account_id)
    for codename in missing:
        found[codename].sort()
    # Kept only once what was read is committed: a grant made and rolled back in this
    # transaction must not be remembered.
    fresh = {keys[c]: found[c] for c in missing}
    transaction.on_commit(lambda: cache.set_many(fresh, GRANTS_CACHE_SECONDS))
    return found


def scoped_to_accounts(queryset, user, codename: str, *, field: str = "account"):
    """``queryset`` narrowed to rows whose ``field`` (a path to an ``Account``) is an account on
    which ``user`` holds ``codename``: nothing for nobody, everything for staff-wide rights (no
    join at all), else the person's account ids (``account_ids_with_permission``, cached) as
    one bound array (``corp_billing.lookups.AnyOf``)."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if has_all_accounts(user, codename):
        return queryset
    return queryset.filter(**{f"{field}__any_of": account_ids_with_permission(user, codename)})


def permissions_by_account(user, accounts) -> dict[int, frozenset[str]]:
    """Codenames ``user`` holds on each of ``accounts`` (object grants plus staff role), in two
    queries whatever the number of accounts. Superuser status grants nothing here: an
    administrator must not silently gain a customer's right to accept a quote."""
    pks = [a.pk for a in accounts]
    if not user.is_authenticated or not user.is_active or not pks:
        return {pk: frozenset() for pk in pks}
    wide = frozenset(staff_wide_permissions(user))
    found: dict[int, set[str]] = {pk: set() for pk in pks}
    on_account = {"permission__content_type__app_label": APP}
    group_rows = AccountGroupObjectPermission.objects.filter(
        group__in=_groups_of(user), content_object_id__in=pks, **on_account
    ).values_list("content_object_id", "permission__codename")
    user_rows = AccountUserObjectPermission.objects.filter(
        user=user, content_object_id__in=pks, **on_account
    ).values_list("content_object_id", "permission__codename")
    for account_id, codename in [*group_rows, *user_rows]:
        found[account_id].add(codename)
    return {pk: frozenset(codes) | wide for pk, codes in found.items()}


def account_permissions(user, account: Account) -> frozenset[str]:
    return permissions_by_account(user, [account])[account.pk]


def has_account_permission(user, codename: str, account: Account) -> bool:
    """Checked again whenever an action is executed, not only when a task is assigned."""
    return codename in account_permissions(user, account)
