"""Audit of events raised inside third-party code (django-axes). Recording only: no business
logic lives here."""

from axes.signals import user_locked_out
from django.dispatch import receiver

from audit.models import AuditAction
from audit.services import audit_record


@receiver(user_locked_out, dispatch_uid="contacts.audit_lockout")
def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    audit_record(
        action=AuditAction.LOGIN_LOCKED_OUT,
        actor_login=username or "",
        request=request,
        message="5 failed sign-ins: this User ID is locked for 15 minutes from this address.",
    )
