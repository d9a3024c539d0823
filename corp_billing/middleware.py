import logging
import re
import time
import uuid

from django.utils.cache import patch_cache_control

from corp_billing.logging import request_id

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_access = logging.getLogger("corp_billing.access")


class PrivateNoStoreMiddleware:
    """A signed-in person's pages and documents (quote PDFs) hold account data: no shared or
    browser cache may keep them (``Cache-Control: private, no-store``), unless the view chose
    its own caching. Static files never reach this: whitenoise answers them further out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class RequestIdMiddleware:
    """Gives each request an id, answered in ``X-Request-ID`` and written on every log line of
    the request, and logs one access line per request (method, path, status, duration).

    A proxy's own ``X-Request-ID`` is kept when it looks like an id (so one id follows the
    request through the proxy's logs and ours); anything else is replaced, so a client cannot
    write arbitrary text into the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            _access.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id.reset(token)
