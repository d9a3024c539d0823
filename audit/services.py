from django.http import HttpRequest

from .models import AuditAction, AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy strips it.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: AuditAction,
    actor=None,
    actor_login: str = "",
    account=None,
    obj=None,
    before: dict | None = None,
    after: dict | None = None,
    request: HttpRequest | None = None,
    message: str = "",
) -> AuditEvent:
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_login = actor_login or actor.username
    else:
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_login=actor_login[:254],
        account=account,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        before=before or {},
        after=after or {},
        ip_address=client_ip(request),
        message=message[:500],
    )
