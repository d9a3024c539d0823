"""Mail that must leave after the response, not during it.

A password-reset request must take the same time whether the User ID exists or not; talking to
the mail server inside the request (even on commit) made existing IDs measurably slower, and a
mail server that was down answered them with a 500. Such mail is handed, once the transaction has
committed, to a small pool of background threads; a failure is logged, never shown.

Only the password-reset mail goes this way; every other mail is a row of the outbox (``outbox``),
kept and retried by ``send_queued_mail``. A reset link lives an hour and the person can ask for a
new one, so a lost reset mail is better retried by them than stored: a stored row would be written
for existing IDs only, and that write is what must not show in the answer's time.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for

from django.core.mail import EmailMessage
from django.db import transaction

logger = logging.getLogger(__name__)

# Two threads are plenty: callers are throttled (see password_reset_request). The pool's threads
# are joined at interpreter exit, so a graceful worker restart does not drop queued mail.
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
_pending: set[Future] = set()
_pending_lock = threading.Lock()


def _send_quietly(message: EmailMessage, what: str) -> None:
    try:
        message.send()
    except Exception:
        # SMTP down, refused, timed out: the person already has their page. Operators get the
        # log line; the recipient's address stays out of it.
        logger.exception("Could not send the %s mail", what)


def _submit(message: EmailMessage, what: str) -> None:
    future = _pool.submit(_send_quietly, message, what)
    with _pending_lock:
        _pending.add(future)

    def forget(done: Future) -> None:
        with _pending_lock:
            _pending.discard(done)

    future.add_done_callback(forget)


def send_after_response(message: EmailMessage, *, what: str) -> None:
    """Sends ``message`` from a background thread once the current transaction commits (and
    never if it rolls back). ``what`` names the mail in the log if it cannot be sent."""
    transaction.on_commit(lambda: _submit(message, what))


def wait_for_background_mail(timeout: float = 10) -> None:
    """Blocks until the mail queued so far has been handed to the mail server (or failed).
    For tests and management commands, which have no response to wait for."""
    with _pending_lock:
        pending = list(_pending)
    wait_for(pending, timeout=timeout)
