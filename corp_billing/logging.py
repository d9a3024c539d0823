"""Structured logs: every line carries the id of the request (or job) it was written for.

``RequestIdMiddleware`` sets the id for the duration of a request; ``RequestIdFilter`` copies it
onto every log record, so the JSON formatter of the production profile writes it as a field.
"""

import logging
from contextvars import ContextVar

# "-" outside any request or job (start-up, management commands).
request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
