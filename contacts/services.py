"""Writes for people, accounts and sign-in. Keyword-only, atomic; mail leaves on commit."""

from datetime import timedelta
from decimal import Decimal

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record, client_ip
from outbox.services import mail_queue

from . import changes, notifications, permissions
from . import mail as outgoing
from .models import (
    Account,
    AccountKind,
    ContactChange,
    ContactChangeKind,
    ContactChangeStatus,
    Membership,
    MembershipRole,
    User,
)
from .selectors import primary_billing_contact
from .validators import normalise_login_id, validate_login_id


class RateLimited(Exception):
    pass


def site_url(path: str) -> str:
    """An absolute link for mail, from the configured site URL, never the request's Host."""
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def membership_add(
    *,
    account: Account,
    user: User,
    role: str,
    is_primary: bool = False,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    if is_primary:
        Membership.objects.filter(account=account, is_primary=True).update(is_primary=False)
    membership = Membership.objects.create(
        account=account, user=user, role=role, is_primary=is_primary
    )
    permissions.grant_role(user=user, account=account, role=role, actor=actor, request=request)
    return membership


def membership_role_change_validate(*, membership: Membership, role: str) -> None:
    """Raises ``ValidationError`` if ``membership`` may not take ``role``. Forms call it to show
    the reason on the field; ``membership_role_change`` calls it again under the lock."""
    leaving_billing = (
        membership.role == MembershipRole.BILLING_CONTACT and role != MembershipRole.BILLING_CONTACT
    )
    if not leaving_billing:
        return
    if membership.is_primary:
        raise ValidationError(
            "The primary billing contact stays a billing contact: make another contact primary "
            "first."
        )
    others = (
        Membership.objects.select_for_update()
        .filter(account_id=membership.account_id, role=MembershipRole.BILLING_CONTACT)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ValidationError("An account always keeps at least one billing contact.")


@transaction.atomic
def membership_role_change(
    *,
    membership: Membership,
    role: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    """Gives a person another role on the same account: the old role's grants are revoked and
    the new role's granted (both audited), so their rights are exactly the new role's."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "account")
        .get(pk=membership.pk)
    )
    if membership.role == role:
        return membership
    membership_role_change_validate(membership=membership, role=role)
    permissions.revoke_role(
        user=membership.user,
        account=membership.account,
        role=membership.role,
        actor=actor,
        request=request,
    )
    permissions.grant_role(
        user=membership.user, account=membership.account, role=role, actor=actor, request=request
    )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(
    *, membership: Membership, actor: User | None = None, request: HttpRequest | None = None
) -> None:
    account = membership.account
    if membership.role == MembershipRole.BILLING_CONTACT:
        remaining = (
            Membership.objects.select_for_update()
            .filter(account=account, role=MembershipRole.BILLING_CONTACT)
            .exclude(pk=membership.pk)
        )
        if not remaining.exists():
            raise ValidationError("An account always keeps at least one billing contact.")
        if membership.is_primary:
            raise ValidationError("Make another billing contact primary before removing this one.")
    permissions.revoke_role(
        user=membership.user, account=account, role=membership.role, actor=actor, request=request
    )
    membership.delete()
    user_sessions_end(user=membership.user)


def user_sessions_end(*, user: User) -> None:
    """Ends every session of ``user``: the session hash includes ``session_epoch``, so each
    session fails verification at its next request."""
    type(user).objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


PASSWORD_RESET_THROTTLED = (
    "Too many password-reset requests. Please wait an hour before asking for another link."
)


def password_reset_request(*, login_id: str, request: HttpRequest | None = None) -> None:
    """Mails a single-use reset link to the contact's e-mail address if the User ID exists.

    The caller answers identically either way, and the work done before it answers is the same
    too: the link and the mail are prepared for an unknown ID as well, and the mail itself
    leaves from a background thread after the response (``contacts.mail``).

    Raises ``RateLimited`` when this ID (however typed, whether it exists or not) or this client
    address has asked too often within ``PASSWORD_RESET_WINDOW``; the throttled request is
    still audited, so a flood shows in the trail. Counting requests, not mails, keeps the answer
    the same for known and unknown IDs.
    """
    with transaction.atomic():
        throttled = _password_reset_record(login_id=login_id, request=request)
    if throttled:
        raise RateLimited(PASSWORD_RESET_THROTTLED)


def _password_reset_record(*, login_id: str, request: HttpRequest | None) -> bool:
    login_key = normalise_login_id(login_id)
    user_model = get_user_model()
    # Row lock on an existing ID: parallel requests for it count each other's audit events.
    user = (
        user_model._default_manager.by_login_id(login_id)
        .filter(is_active=True)
        .select_for_update()
        .first()
    )
    recent = AuditEvent.objects.filter(
        action=AuditAction.PASSWORD_RESET_REQUESTED,
        occurred_at__gte=timezone.now() - settings.PASSWORD_RESET_WINDOW,
    )
    address = client_ip(request)
    per_id = recent.filter(actor_login=login_key).count()
    per_address = recent.filter(ip_address=address).count() if address else 0
    throttled = (
        per_id >= settings.PASSWORD_RESET_LIMIT_PER_ID
        or per_address >= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
    )
    eligible = user is not None and user.has_usable_password() and bool(user.email)
    # An unknown ID gets a stand-in user, so its link and mail cost what a real one does.
    recipient = user if eligible else user_model(username=login_key, email="nobody@invalid")
    message = _password_reset_message(recipient)
    if throttled:
        note = "Throttled: no reset mail sent."
    elif not eligible:
        note = "No reset mail sent: unknown or unusable User ID."
    else:
        note = ""
    audit_record(
        action=AuditAction.PASSWORD_RESET_REQUESTED,
        actor=user if eligible else None,
        actor_login=login_key,
        request=request,
        message=note,
    )
    if eligible and not throttled:
        outgoing.send_after_response(message, what="password-reset")
    return throttled


def _password_reset_message(user: User) -> EmailMessage:
    path = reverse(
        "contacts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    body = render_to_string(
        "contacts/email/password_reset.txt",
        {
            "user": user,
            "reset_url": site_url(path),
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )
    return EmailMessage(
        subject=f"{settings.PRODUCT_NAME} billing: reset your password",
        body=body,
        to=[user.email],
    )


def password_reset_completed(*, user: User, request: HttpRequest | None = None) -> None:
    user_sessions_end(user=user)
    # Whoever completed the reset controls the mailbox: the lockout they may have run into (or
    # an attacker caused) no longer protects anything, so the new password works at once.
    axes_reset(username=normalise_login_id(user.username))
    audit_record(action=AuditAction.PASSWORD_RESET_COMPLETED, actor=user, request=request)


@transaction.atomic
def billing_admin_email_send(
    *, sender: User, account: Account, message: str, request: HttpRequest | None = None
) -> str:
    """A member asks the account's primary billing contact for a change. Returns the recipient
    address. Limited per sender and account, since it sends mail from our domain."""
    # Serialise this sender's sends: without the row lock, parallel posts all count the same
    # earlier messages and all pass the limit (20 at once sent 11). The count below runs after
    # the lock is granted, so it sees every send committed before it.
    get_user_model().objects.select_for_update().get(pk=sender.pk)
    window_start = timezone.now() - settings.BILLING_ADMIN_EMAIL_WINDOW
    sent = AuditEvent.objects.filter(
        action=AuditAction.BILLING_ADMIN_EMAILED,
        actor=sender,
        account=account,
        occurred_at__gte=window_start,
    ).count()
    if sent >= settings.BILLING_ADMIN_EMAIL_LIMIT:
        raise RateLimited(
            f"You have already sent {sent} messages to your billing admin in the last hour. "
            "Please wait before sending another."
        )
    primary = primary_billing_contact(account=account)
    if primary is None or not primary.user.email:
        raise ValidationError("This account has no billing admin with an e-mail address.")
    admin_user = primary.user
    body = render_to_string(
        "contacts/email/billing_admin.txt",
        {"sender": sender, "account": account, "message": message, "admin": admin_user},
    )
    mail_queue(
        subject=f"{settings.PRODUCT_NAME}: {sender.display_name} asks about account "
        f"{account.number}",
        body=body,
        to=[admin_user.email],
        reply_to=[sender.email] if sender.email else None,
    )
    audit_record(
        action=AuditAction.BILLING_ADMIN_EMAILED,
        actor=sender,
        account=account,
        obj=admin_user,
        after={"to": admin_user.email, "length": len(message)},
        request=request,
    )
    return admin_user.email


@transaction.atomic
def membership_make_primary(
    *, membership: Membership, actor: User | None = None, request: HttpRequest | None = None
) -> Membership:
    """Makes ``membership`` (a billing contact) the account's one primary contact."""
    if membership.role != MembershipRole.BILLING_CONTACT:
        raise ValidationError("Only a billing contact can be the primary contact.")
    # The old primary first: the one-primary constraint is checked statement by statement.
    Membership.objects.filter(account_id=membership.account_id, is_primary=True).exclude(
        pk=membership.pk
    ).update(is_primary=False)
    Membership.objects.filter(pk=membership.pk).update(is_primary=True)
    membership.is_primary = True
    return membership


# --- billing-contact changes ---------------------------------------------------------------------
# A billing contact proposes (after re-entering their password), the account's representative
# confirms or declines. The workflow layer runs these inside its task helper; ``changes`` holds
# the status table they assert.

REAUTHENTICATION_FAILED = "The password you entered is not correct; nothing was changed."
REAUTHENTICATION_THROTTLED = (
    "Too many wrong passwords. Please wait 15 minutes before trying again; nothing was changed."
)
LAST_CONTACT = "An account always keeps at least one billing contact: this one cannot be removed."
PRIMARY_REMOVAL = (
    "The primary billing contact cannot be removed: make another billing contact primary first."
)


def reauthenticate(*, actor: User, password: str, request: HttpRequest | None = None) -> None:
    """Checks the password ``actor`` re-entered before a sensitive step; ``ValidationError``
    if it is wrong, ``RateLimited`` after ``AXES_FAILURE_LIMIT`` wrong ones within
    ``AXES_COOLOFF_TIME`` (the sign-in's own limits), whatever the password then.

    Call it outside any transaction: each failure is committed as an audit event, which is
    what the limit counts, and which a rolled-back step would otherwise take with it."""
    with transaction.atomic():
        # Serialise this person's attempts, so parallel guesses all count each other.
        User.objects.select_for_update().get(pk=actor.pk)
        failures = AuditEvent.objects.filter(
            action=AuditAction.REAUTHENTICATION_FAILED,
            actor=actor,
            occurred_at__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
        ).count()
        throttled = failures >= settings.AXES_FAILURE_LIMIT
        stored = actor.password
        correct = not throttled and actor.check_password(password)
        if correct and request is not None and actor.password != stored:
            # check_password re-hashed an outdated hash: keep this session signed in.
            update_session_auth_hash(request, actor)
        if not correct:
            audit_record(
                action=AuditAction.REAUTHENTICATION_FAILED,
                actor=actor,
                request=request,
                message="Throttled." if throttled else "Wrong password.",
            )
    if throttled:
        raise RateLimited(REAUTHENTICATION_THROTTLED)
    if not correct:
        raise ValidationError(REAUTHENTICATION_FAILED, code="wrong_password")


def _contacts_of(account: Account) -> list[dict]:
    """The account's billing contacts as the audit trail records them."""
    return [
        {"user": username, "primary": primary}
        for username, primary in Membership.objects.filter(
            account=account, role=MembershipRole.BILLING_CONTACT
        )
        .order_by("user__username")
        .values_list("user__username", "is_primary")
    ]


def _change_values(change: ContactChange) -> dict:
    values: dict = {"kind": change.kind, "status": change.status}
    if change.kind == ContactChangeKind.ADD:
        values |= {
            "login_id": change.new_login_id,
            "email": change.new_email,
            "name": f"{change.new_first_name} {change.new_last_name}".strip(),
        }
    if change.target is not None:
        values["user"] = change.target.username
    return values


def _check_applicable(change: ContactChange) -> Membership | None:
    """Raises ``ValidationError`` unless ``change`` can be applied to the account as it is now;
    returns the target's membership (``None`` for an addition). Runs at proposal and again at
    confirmation, with the account's billing contacts locked, so two confirmations cannot
    together remove the last contact."""
    contacts = list(
        Membership.objects.select_for_update()
        .filter(account_id=change.account_id, role=MembershipRole.BILLING_CONTACT)
        .order_by("pk")
    )
    if change.kind == ContactChangeKind.ADD:
        if User.objects.by_login_id(change.new_login_id).exists():
            raise ValidationError(
                f"The User ID {change.new_login_id} is already taken: choose another one."
            )
        return None
    target = next((m for m in contacts if m.user_id == change.target_id), None)
    if target is None:
        raise ValidationError("That person is not a billing contact of this account.")
    if change.kind == ContactChangeKind.REMOVE:
        if len(contacts) <= 1:
            raise ValidationError(LAST_CONTACT)
        if target.is_primary:
            raise ValidationError(PRIMARY_REMOVAL)
    elif target.is_primary:
        raise ValidationError(f"{target.user.display_name} is already the primary contact.")
    return target


@transaction.atomic
def contact_change_propose(
    *,
    account: Account,
    actor: User,
    kind: str,
    target_id: int | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    login_id: str = "",
    request: HttpRequest | None = None,
) -> ContactChange:
    """A billing contact proposes a change of the account's billing contacts. The caller has
    just checked the actor's password with ``reauthenticate``. Nothing is granted or revoked
    until the representative confirms; the account's contacts and representatives are told."""
    changes.require_right(actor, changes.Action.PROPOSE, account)
    change = ContactChange(account=account, kind=kind, proposer=actor)
    if kind == ContactChangeKind.ADD:
        validate_login_id(login_id)
        change.new_login_id = normalise_login_id(login_id)
        change.new_first_name, change.new_last_name = first_name.strip(), last_name.strip()
        change.new_email = email.strip()
        if not change.new_first_name or not change.new_email:
            raise ValidationError("Give the new contact's name and e-mail address.")
        duplicate = ContactChange.objects.filter(
            status=ContactChangeStatus.PENDING,
            kind=ContactChangeKind.ADD,
            new_login_id=change.new_login_id,
        )
    elif kind in (ContactChangeKind.REMOVE, ContactChangeKind.MAKE_PRIMARY):
        change.target = User.objects.filter(pk=target_id).first() if target_id else None
        duplicate = ContactChange.objects.filter(
            status=ContactChangeStatus.PENDING, account=account, kind=kind, target_id=target_id
        )
    else:
        raise ValidationError("Choose add, remove or make primary.")
    _check_applicable(change)
    if duplicate.exists():
        raise ValidationError(
            "The same change is already waiting for your representative; nothing was changed."
        )
    change.full_clean(exclude=["target", "proposer", "account"])
    change.save()
    audit_record(
        action=AuditAction.CONTACT_CHANGE_PROPOSED,
        actor=actor,
        account=account,
        obj=change,
        before={"contacts": _contacts_of(account)},
        after=_change_values(change),
        request=request,
    )
    notifications.contact_change_proposed(change)
    return change


def _lock_change(change: ContactChange) -> ContactChange:
    # Only the non-null relations are joined: PostgreSQL refuses FOR UPDATE on the nullable
    # side of an outer join.
    return (
        ContactChange.objects.select_for_update()
        .select_related("account", "proposer")
        .get(pk=change.pk)
    )


def _decided(change: ContactChange, *, actor: User, status: str, comment: str) -> None:
    change.status = status
    change.decider = actor
    change.decided_at = timezone.now()
    change.comment = comment
    change.save(update_fields=["status", "decider", "decided_at", "comment", "target"])


def _new_contact(change: ContactChange) -> User:
    """The user of an addition: no usable password until they follow the invitation."""
    user = User(
        username=change.new_login_id,
        email=change.new_email,
        first_name=change.new_first_name,
        last_name=change.new_last_name,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Taken between the check and the insert, by a parallel confirmation or sign-up.
        raise ValidationError(
            f"The User ID {change.new_login_id} is already taken: choose another one."
        ) from None
    return user


@transaction.atomic
def contact_change_confirm(
    *, change: ContactChange, actor: User, comment: str = "", request: HttpRequest | None = None
) -> ContactChange:
    """The representative confirms: the change is applied through ``permissions`` in the same
    transaction (a new contact is created, granted the role and invited; a removed one loses
    the role and every session at once; a new primary replaces the old one), and everyone on
    the account is told. Refused, with nothing changed, if it no longer fits the account."""
    change = _lock_change(change)
    changes.require(actor, changes.Action.CONFIRM, change)
    account = change.account
    before = {"contacts": _contacts_of(account), **_change_values(change)}
    target = _check_applicable(change)
    removed = invited = None
    if change.kind == ContactChangeKind.ADD:
        change.target = invited = _new_contact(change)
        membership_add(
            account=account,
            user=invited,
            role=MembershipRole.BILLING_CONTACT,
            actor=actor,
            request=request,
        )
    elif change.kind == ContactChangeKind.REMOVE:
        assert target is not None
        removed = target.user
        membership_remove(membership=target, actor=actor, request=request)
    else:
        assert target is not None
        membership_make_primary(membership=target, actor=actor, request=request)
    _decided(change, actor=actor, status=ContactChangeStatus.CONFIRMED, comment=comment)
    audit_record(
        action=AuditAction.CONTACT_CHANGE_CONFIRMED,
        actor=actor,
        account=account,
        obj=change,
        before=before,
        after={"contacts": _contacts_of(account), **_change_values(change), "comment": comment},
        request=request,
    )
    if invited is not None:
        invitation_send(user=invited, account=account, actor=actor, request=request)
    notifications.contact_change_decided(change, also=[removed] if removed else [])
    return change


@transaction.atomic
def contact_change_decline(
    *, change: ContactChange, actor: User, comment: str, request: HttpRequest | None = None
) -> ContactChange:
    """The representative declines, saying why: nothing changes but the change's status."""
    change = _lock_change(change)
    changes.require(actor, changes.Action.DECLINE, change)
    if not comment.strip():
        raise ValidationError("Say why you decline: the billing contacts are told.")
    before = _change_values(change)
    _decided(change, actor=actor, status=ContactChangeStatus.DECLINED, comment=comment)
    audit_record(
        action=AuditAction.CONTACT_CHANGE_DECLINED,
        actor=actor,
        account=change.account,
        obj=change,
        before=before,
        after={**_change_values(change), "comment": comment},
        request=request,
    )
    notifications.contact_change_decided(change)
    return change


@transaction.atomic
def contact_change_withdraw(
    *, change: ContactChange, actor: User, request: HttpRequest | None = None
) -> ContactChange:
    """A billing contact of the account takes back a proposal not decided yet: nothing
    changes but its status; the account's contacts and representatives are told."""
    change = _lock_change(change)
    changes.require(actor, changes.Action.WITHDRAW, change)
    before = _change_values(change)
    _decided(change, actor=actor, status=ContactChangeStatus.WITHDRAWN, comment="")
    audit_record(
        action=AuditAction.CONTACT_CHANGE_WITHDRAWN,
        actor=actor,
        account=change.account,
        obj=change,
        before=before,
        after=_change_values(change),
        request=request,
    )
    notifications.contact_change_decided(change)
    return change


# --- invitations ---------------------------------------------------------------------------------
# A new contact sets their first password from a link: the signed fingerprint of their password
# hash as it is now, with the time it was signed. Setting a password changes the hash, so the
# link works once; the signature's age limits it to CONTACT_INVITATION_TIMEOUT.

INVITATION_SALT = "contacts.invitation"
INVITATION_INVALID = "This invitation link is not valid. Check that you copied the whole link."
INVITATION_EXPIRED = (
    "This invitation link has expired: it was valid for 72 hours. Ask your account's billing "
    "contact or your LogMeIn representative to invite you again."
)
INVITATION_USED = (
    "This invitation link has already been used. Sign in with your User ID and password, or "
    "reset your password from the sign-in page."
)


class InvitationInvalid(Exception):
    """The link cannot be used; the message says why, for the person who opened it."""


def _password_fingerprint(user: User) -> str:
    return salted_hmac(INVITATION_SALT, user.password, algorithm="sha256").hexdigest()[:32]


def _invitation_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=INVITATION_SALT)


def invitation_path(user: User) -> str:
    return reverse(
        "contacts:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": _invitation_signer().sign(_password_fingerprint(user)),
        },
    )


def invitation_user(*, uidb64: str, token: str, lock: bool = False) -> User:
    """The invited user of a link, or ``InvitationInvalid`` saying why not."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvitationInvalid(INVITATION_INVALID) from None
    users = User.objects.select_for_update() if lock else User.objects.all()
    user = users.filter(pk=pk, is_active=True).first() if 0 < pk < 2**63 else None
    if user is None:
        raise InvitationInvalid(INVITATION_INVALID)
    try:
        fingerprint = _invitation_signer().unsign(
            token, max_age=settings.CONTACT_INVITATION_TIMEOUT
        )
    except signing.SignatureExpired:
        raise InvitationInvalid(INVITATION_EXPIRED) from None
    except signing.BadSignature:
        raise InvitationInvalid(INVITATION_INVALID) from None
    if not constant_time_compare(fingerprint, _password_fingerprint(user)):
        raise InvitationInvalid(INVITATION_USED)
    if not user.memberships.filter(role=MembershipRole.BILLING_CONTACT).exists():
        # Removed before they accepted: the link opens nothing any more.
        raise InvitationInvalid(INVITATION_INVALID)
    return user


def login_url_name(account: Account) -> str:
    """The sign-in page of the portal a billing contact of ``account`` uses."""
    return "contacts:corporate_login" if account.is_corporate else "contacts:login"


def invitation_valid_hours() -> int:
    return int(settings.CONTACT_INVITATION_TIMEOUT.total_seconds() // 3600)


def invitation_send(
    *, user: User, account: Account, actor: User | None, request: HttpRequest | None = None
) -> None:
    """Queues the invitation mail (sent once the confirmation commits)."""
    body = render_to_string(
        "contacts/email/invitation.txt",
        {
            "user": user,
            "account": account,
            "link": site_url(invitation_path(user)),
            "login_url": site_url(reverse(login_url_name(account))),
            "valid_hours": invitation_valid_hours(),
        },
    )
    mail_queue(
        to=[user.email],
        subject=f"{settings.PRODUCT_NAME} billing: you are a billing contact of {account.name}",
        body=body,
    )
    audit_record(
        action=AuditAction.INVITATION_SENT,
        actor=actor,
        account=account,
        obj=user,
        after={"user": user.username, "email": user.email},
        request=request,
    )


# A resent invitation waits this long after the last one: a double click, or someone pressing
# the button repeatedly, must not fill the invited person's mailbox.
INVITATION_RESEND_WAIT = timedelta(minutes=10)
# Who may send an invitation again: the account's billing contacts and its representatives, the
# people the expired-link page tells the invited person to ask.
INVITATION_RESEND_RIGHTS = frozenset({"manage_billing_contacts", "review_contact_change"})


def may_resend_invitations(perms: frozenset[str]) -> bool:
    return bool(perms & INVITATION_RESEND_RIGHTS)


@transaction.atomic
def invitation_resend(
    *, account: Account, user_id: int, actor: User, request: HttpRequest | None = None
) -> User:
    """Sends a billing contact of ``account`` who has not set a password yet a new invitation.

    PermissionDenied when ``actor`` may not, or the person is not a billing contact of
    ``account`` (the caller answers both with the same 404 as a missing one); ValidationError
    when they have set their password already, or an invitation left less than
    ``INVITATION_RESEND_WAIT`` ago."""
    if not may_resend_invitations(permissions.account_permissions(actor, account)):
        raise PermissionDenied(f"resend invitation on {account.number}")
    # Locked, so two people pressing the button at once send one invitation, not two.
    user = (
        User.objects.select_for_update()
        .filter(
            pk=user_id,
            is_active=True,
            memberships__account=account,
            memberships__role=MembershipRole.BILLING_CONTACT,
        )
        .first()
    )
    if user is None:
        raise PermissionDenied(f"no billing contact {user_id} on {account.number}")
    if user.has_usable_password():
        raise ValidationError(
            f"{user.display_name} has set their password already: they sign in with their User "
            f"ID {user.username}, and can reset a forgotten password from the sign-in page."
        )
    last = (
        AuditEvent.objects.filter(
            action=AuditAction.INVITATION_SENT,
            object_type=user._meta.label_lower,
            object_id=str(user.pk),
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if last is not None and timezone.now() - last < INVITATION_RESEND_WAIT:
        wait = int(INVITATION_RESEND_WAIT.total_seconds() // 60)
        raise ValidationError(
            f"An invitation was sent to {user.email} less than {wait} minutes ago. Ask them to "
            "look for it (and in their spam folder) before sending another."
        )
    invitation_send(user=user, account=account, actor=actor, request=request)
    return user


@transaction.atomic
def invitation_accept(
    *, uidb64: str, token: str, password: str, request: HttpRequest | None = None
) -> User:
    """Sets the invited user's first password; the link is spent by it. ``password`` has been
    through the password validators (``SetPasswordForm``)."""
    user = invitation_user(uidb64=uidb64, token=token, lock=True)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action=AuditAction.INVITATION_ACCEPTED, actor=user, obj=user, request=request)
    return user


def invitation_login_url_name(user: User) -> str:
    """Where an invited contact signs in: the Corporate Billing Portal if they are a billing
    contact of a corporate account, else the Billing Center."""
    corporate = user.memberships.filter(
        role=MembershipRole.BILLING_CONTACT, account__kind=AccountKind.CORPORATE
    ).exists()
    return "contacts:corporate_login" if corporate else "contacts:login"


@transaction.atomic
def account_set_second_acceptance(
    *, account: Account, actor: User, amount: Decimal | None, request: HttpRequest | None = None
) -> Account:
    """The account's representative sets the amount above which a quote needs two different
    billing contacts to accept it (``None``: one is enough). Quotes already accepted once keep
    the rule they were accepted under."""
    if not permissions.has_account_permission(actor, "draft_quote", account):
        raise PermissionDenied(f"draft_quote on {account.number}")
    if amount is not None and amount < 0:
        raise ValidationError("The amount cannot be negative.")
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = account.second_acceptance_above
    account.second_acceptance_above = amount
    account.save(update_fields=["second_acceptance_above"])
    audit_record(
        action=AuditAction.ACCOUNT_SECOND_ACCEPTANCE_SET,
        actor=actor,
        account=account,
        obj=account,
        before={"amount": None if before is None else str(before)},
        after={"amount": None if amount is None else str(amount)},
        request=request,
    )
    return account
