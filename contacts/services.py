"""Writes for people, accounts and sign-in. Keyword-only, atomic; mail leaves on commit."""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record, client_ip
from outbox.services import mail_queue

from . import mail as outgoing
from . import permissions
from .models import Account, Membership, MembershipRole, User
from .selectors import primary_billing_contact
from .validators import normalise_login_id


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
