"""Audit of sign-in events, taken from the signals of Django's authentication and django-axes so
that every door (the two portals, the admin) is recorded the same way, once. Recording only: no
business logic lives here."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record, client_ip


def _door(request, credentials=None) -> str:
    """Where the sign-in happened: ``portal=corporate``, ``portal=billing_center`` or
    ``portal=admin``."""
    portal = (credentials or {}).get("portal")
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "admin":
        portal = "admin"
    elif match is not None:
        portal = portal or match.kwargs.get("portal")
    return f"portal={portal}" if portal else ""


@receiver(user_logged_in, dispatch_uid="contacts.audit_login")
def audit_login(sender, request=None, user=None, **kwargs):
    if getattr(request, "resolver_match", None) is None:
        # Not a person at a sign-in page: every page that signs people in is routed, so a
        # login without a URL is code acting for them (the test client's force_login).
        return
    audit_record(
        action=AuditAction.LOGIN_SUCCEEDED, actor=user, request=request, message=_door(request)
    )


@receiver(user_login_failed, dispatch_uid="contacts.audit_login_failed")
def audit_login_failed(sender, credentials=None, request=None, **kwargs):
    # The login ID as typed (Django has already masked the password in ``credentials``).
    login_id = str((credentials or {}).get("username") or "").strip()
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor_login=login_id,
        request=request,
        message=_door(request, credentials),
    )


@receiver(user_locked_out, dispatch_uid="contacts.audit_lockout")
def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    # axes signals every refused attempt during a lockout; the trail wants the lockout once.
    already = AuditEvent.objects.filter(
        action=AuditAction.LOGIN_LOCKED_OUT,
        actor_login=username or "",
        ip_address=client_ip(request),
        occurred_at__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    ).exists()
    if already:
        return
    audit_record(
        action=AuditAction.LOGIN_LOCKED_OUT,
        actor_login=username or "",
        request=request,
        message="5 failed sign-ins: this User ID is locked for 15 minutes from this address.",
    )
