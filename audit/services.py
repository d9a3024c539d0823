import ipaddress
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.http import HttpRequest

from .models import AuditAction, AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the one the audit trail records and django-axes throttles on
    (``AXES_CLIENT_IP_CALLABLE``), so both always agree.

    With ``TRUSTED_PROXY_COUNT`` = 0 the app is reached directly and ``REMOTE_ADDR`` is the
    client. With N trusted proxies each appends the address it received from to
    X-Forwarded-For, so the Nth entry from the right is the one the outermost trusted proxy saw;
    anything further left was written by the client and proves nothing.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if not forwarded:
        return remote
    # Fewer entries than proxies: every entry came from a trusted proxy; the leftmost is the
    # outermost one that saw the request.
    candidate = forwarded[-min(count, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def audit_record(
    *,
    action: AuditAction,
    actor: Any = None,  # a User; audit sits below contacts, so it cannot name the class
    actor_login: str = "",
    account: Any = None,  # a contacts.Account
    obj: Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
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
