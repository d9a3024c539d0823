"""Audit of events raised inside third-party code (django-axes). Recording only: no business
logic lives here."""

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record, client_ip


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
