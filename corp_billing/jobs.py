"""What every job shares: how it retries, and how a periodic job runs a management command.

A job that raises is retried with a growing wait (30 s, 60 s, 120 s … at most 30 minutes, with
jitter), five times; after that it is FAILED in the admin's "Task results", with its traceback.
Jobs are idempotent, so a retry, or a second delivery after a worker died, changes nothing more.
"""

import io
from typing import Any

from django.core.management import call_command

RETRY: dict[str, Any] = {
    "autoretry_for": (Exception,),
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def run_command(name: str) -> str:
    """Runs the management command ``name`` (which raises CommandError when part of its work
    failed, so the job retries) and returns its output, which is kept as the job's result."""
    out = io.StringIO()
    call_command(name, stdout=out, stderr=out)
    return out.getvalue()[-10_000:]
