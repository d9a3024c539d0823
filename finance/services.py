"""The export as one step: the chosen registers' rows, read in batches for the person who asks,
written as one workbook (``workbook_write``: the export job and the ``export_finance`` command
both call it); and the export as a job's row, from the request to the file and its expiry.

An export's life (the status table is ``models.TRANSITIONS``):

* ``export_request`` stores the row (queued) and sends its job once the request commits;
* the job (``jobs.write_export`` → ``export_write``) claims the row under a row lock, writes the
  workbook to a temporary file beside the final one, reporting its progress on the row, and
  under the lock again renames it into place (atomic) and marks the export done with its size
  and SHA-256. A job that finds the export done, failed, or held by a live writer does nothing;
  one that finds a writer whose heartbeat stopped (its worker died) takes over and starts the
  file afresh. An attempt that fails gives the claim back and Celery retries; the last one
  marks the export failed, with the error on its page;
* the periodic sweep (``exports_sweep``) deletes files past their expiry, marking the rows
  expired, and sends again the jobs of exports that were lost (a broker down at the request, a
  worker killed).
"""

import datetime
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from contacts.models import User

from . import exports, selectors
from .models import IN_PROGRESS, TRANSITIONS, Export, ExportStatus

logger = logging.getLogger(__name__)

S = ExportStatus
# The directory of the export files, under settings.PRIVATE_FILES_ROOT (which nothing serves).
EXPORTS_DIR = "exports"
# A running export whose writer has not reported progress for this long is taken to be dead
# (progress comes every exports.PROGRESS_EVERY rows, a few seconds apart) and is resumed.
STALE = datetime.timedelta(minutes=10)
# A queued export whose job has not started this long after it was sent is sent again (the
# broker was down at the request, or the message was lost). A second job for the same export
# is harmless: whichever claims the row first writes it, the other does nothing.
RESEND_AFTER = datetime.timedelta(minutes=15)
# Attempts of one export before it is failed for good: Celery's one try and five retries; a
# worker that keeps dying on an export (out of memory) stops here too.
MAX_ATTEMPTS = 6


class ExportRefused(Exception):
    """The export can never be written (the person lost the right, its account is no longer
    theirs): it fails at once, without retries."""


class ExportClaimLost(Exception):
    """Another writer took the export over (this one was thought dead): stop writing."""


def subtitle(
    *,
    user: User,
    register: exports.Register,
    filters: selectors.ExportFilters,
    at: datetime.datetime,
) -> str:
    stamp = at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{filters.describe(register.date_label)} · made {stamp} by {user.username}"


def workbook_write(
    *,
    user: User,
    choice: str,
    filters: selectors.ExportFilters,
    out: IO[bytes] | str,
    at: datetime.datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Writes the workbook of ``choice`` (a register's key, or ``exports.ALL``) to ``out``;
    returns the rows written per register. Only finance may export."""
    if not selectors.may_export(user):
        raise PermissionDenied("Only finance exports the registers.")
    at = at or timezone.now()
    registers = exports.registers_for(choice)
    sheets = (
        (r, selectors.register_rows(user=user, register=r.key, filters=filters)) for r in registers
    )
    return exports.write_workbook(
        out,
        sheets,
        subtitle=lambda r: subtitle(user=user, register=r, filters=filters, at=at),
        progress=progress,
    )


# --- the export as a job -------------------------------------------------------------------------


def keep_for() -> datetime.timedelta:
    """How long a written export's file is kept (settings.FINANCE_EXPORTS_KEEP, 7 days)."""
    return settings.FINANCE_EXPORTS_KEEP


def stored_path(export: Export) -> Path:
    # Read at call time: tests point the root at a temporary directory.
    return Path(settings.PRIVATE_FILES_ROOT) / export.stored_name


def describe(choice: str, filters: selectors.ExportFilters) -> str:
    if choice == exports.ALL:
        return f"Every register; {filters.describe('dated')}"
    register = exports.REGISTERS[choice]
    return f"{register.title}; {filters.describe(register.date_label)}"


def _move(export: Export, target: str) -> None:
    if target not in TRANSITIONS[export.status]:
        raise ValueError(f"An export cannot go from {export.status} to {target}.")
    export.status = target


def _send(export_id: int) -> None:
    # After the commit: the person has their page whatever happens here. A job that is not
    # enqueued (broker down) is no loss: the sweep sends it again (RESEND_AFTER).
    from .jobs import write_export

    try:
        write_export.delay(export_id)
    except Exception:
        logger.exception("Export %s was not enqueued; the sweep sends it again", export_id)


@transaction.atomic
@transaction.atomic
def export_request(
    *,
    user: User,
    choice: str,
    filters: selectors.ExportFilters,
    request: HttpRequest | None = None,
) -> Export:
    """Stores ``user``'s export of ``choice`` with ``filters`` (audited) and sends its job once
    the transaction commits (in development and tests the job runs there and then)."""
    if not selectors.may_export(user):
        raise PermissionDenied("Only finance exports the registers.")
    exports.registers_for(choice)  # a KeyError for a register that does not exist
    export = Export.objects.create(
        requested_by=user,
        register=choice,
        filters=filters.as_json(),
        description=describe(choice, filters)[:500],
        stored_name=f"{EXPORTS_DIR}/{uuid.uuid4().hex}.xlsx",
    )
    audit_record(
        action=AuditAction.FINANCE_EXPORT_REQUESTED,
        actor=user,
        obj=export,
        after={"export": export.pk, "register": choice, "filters": export.filters},
        message=export.description[:500],
        request=request,
    )
    transaction.on_commit(partial(_send, export.pk))
    return export


def export_downloaded(*, export: Export, user: User, request: HttpRequest | None = None) -> None:
    """Records that ``user`` took the file of ``export``, naming it by its SHA-256: an auditor
    can tell which copy of the books left, and when."""
    audit_record(
        action=AuditAction.FINANCE_EXPORT_DOWNLOADED,
        actor=user,
        obj=export,
        after={"export": export.pk, "file": export.file_name, "sha256": export.sha256},
        request=request,
    )


def _claim(export_id: int) -> Export | str:
    """The export, claimed for this attempt; or why there is nothing to write."""
    now = timezone.now()
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None:
            return f"export {export_id}: no such export"
        if export.status not in IN_PROGRESS:
            return f"export {export_id}: {export.status}, nothing to write"
        if export.status == S.RUNNING and export.heartbeat_at and export.heartbeat_at > now - STALE:
            return f"export {export_id}: being written by another job"
        if export.attempts >= MAX_ATTEMPTS:
            _move(export, S.FAILED)
            export.error = (
                f"The export could not be written in {export.attempts} attempts. "
                f"{export.error}".strip()
            )
            export.finished_at = now
            export.claim = ""
            export.save()
            return f"export {export_id}: failed after {export.attempts} attempts"
        _move(export, S.RUNNING)
        export.claim = uuid.uuid4().hex
        export.attempts += 1
        export.started_at = export.heartbeat_at = now
        export.rows = {}
        export.file_name = exports.file_name(export.register, now)
        export.save()
    return export


def _beat(export: Export, rows: dict[str, int]) -> None:
    """Records the progress (and that the writer is alive), if the export is still ours."""
    held = Export.objects.filter(pk=export.pk, claim=export.claim, status=S.RUNNING).update(
        rows=dict(rows), heartbeat_at=timezone.now()
    )
    if not held:
        raise ExportClaimLost(f"export {export.pk}: taken over by another job")


def _leftovers(final: Path) -> None:
    # Temporary files of earlier attempts at this export (a writer killed mid-file).
    for part in final.parent.glob(f"{final.stem}.*.part"):
        part.unlink(missing_ok=True)


def _digest(path: Path) -> tuple[int, str]:
    """The file's size and SHA-256, after forcing it to disk (the rename must not publish a
    file the machine has not written yet)."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def _finish(export: Export, part: Path, written: dict[str, int]) -> str:
    size, sha256 = _digest(part)
    now = timezone.now()
    with transaction.atomic():
        row = Export.objects.select_for_update().get(pk=export.pk)
        if row.claim != export.claim or row.status != S.RUNNING:
            part.unlink(missing_ok=True)
            return f"export {export.pk}: taken over by another job"
        # Same directory, same file system: the final name appears whole or not at all.
        os.replace(part, stored_path(row))
        _move(row, S.DONE)
        row.rows = written
        row.size = size
        row.sha256 = sha256
        row.error = ""
        row.claim = ""
        row.finished_at = now
        row.expires_at = now + keep_for()
        row.save()
    return f"export {export.pk}: {sum(written.values())} rows, {size} bytes"


def _end_attempt(export: Export, error: str, *, final: bool) -> None:
    """Gives the claim back after a failed attempt (queued again, for Celery's retry) or, on
    the ``final`` one, fails the export with ``error``."""
    now = timezone.now()
    with transaction.atomic():
        row = Export.objects.select_for_update().filter(pk=export.pk, claim=export.claim).first()
        if row is None or row.status != S.RUNNING:
            return
        if final:
            _move(row, S.FAILED)
            row.error = error
            row.finished_at = now
        else:
            _move(row, S.QUEUED)
            row.error = f"Attempt {row.attempts} failed, it is tried again: {error}"
            # Celery's retry comes back within minutes; the sweep waits longer than that.
            row.enqueued_at = now
        row.claim = ""
        row.save()


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def export_write(*, export_id: int, last_attempt: bool) -> str:
    """One attempt at writing the export ``export_id`` (the job's body); returns what it did.
    Raises what went wrong, for Celery to retry (``ExportRefused``: never retried)."""
    claimed = _claim(export_id)
    if isinstance(claimed, str):
        return claimed
    export = claimed
    final = stored_path(export)
    final.parent.mkdir(parents=True, exist_ok=True)
    _leftovers(final)
    part = final.with_name(f"{final.stem}.{export.claim}.part")
    rows: dict[str, int] = {}

    def progress(register: str, count: int) -> None:
        rows[register] = count
        _beat(export, rows)

    try:
        user = export.requested_by
        if not selectors.may_export(user):
            raise ExportRefused(f"{user.username} may no longer export the registers.")
        try:
            filters = selectors.export_filters_load(user=user, data=export.filters)
        except selectors.ExportFiltersGone as exc:
            raise ExportRefused(str(exc)) from None
        assert export.started_at is not None  # set by the claim
        written = workbook_write(
            user=user,
            choice=export.register,
            filters=filters,
            out=str(part),
            at=export.started_at,
            progress=progress,
        )
        return _finish(export, part, written)
    except ExportClaimLost as exc:
        part.unlink(missing_ok=True)
        return str(exc)
    except ExportRefused as exc:
        part.unlink(missing_ok=True)
        _end_attempt(export, str(exc), final=True)
        raise
    except Exception as exc:
        part.unlink(missing_ok=True)
        message = _error_text(exc)
        # The last of Celery's retries, or of the attempts (a worker died on earlier ones).
        last_attempt = last_attempt or export.attempts >= MAX_ATTEMPTS
        if last_attempt:
            message = (
                f"The export could not be written ({export.attempts} attempts). "
                f"The last error was {message}"
            )
        _end_attempt(export, message, final=last_attempt)
        raise


def export_fail(*, export_id: int, error: str) -> None:
    """Fails an export that is still waiting or being written (its job ran out of time)."""
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status not in IN_PROGRESS:
            return
        _move(export, S.FAILED)
        export.error = error
        export.claim = ""
        export.finished_at = timezone.now()
        export.save()


def exports_sweep(*, now: datetime.datetime | None = None) -> str:
    """The periodic job's work: deletes the files of exports past their expiry (their rows
    stay, expired), the temporary files writers left behind, and sends again the jobs of
    exports that are waiting too long or whose writer died."""
    now = now or timezone.now()
    due = list(
        Export.objects.filter(status=S.DONE, expires_at__lte=now).values_list("pk", "stored_name")
    )
    # done → expired (models.TRANSITIONS) for all of them at once, then the files: a file that
    # cannot be deleted stays behind, never a row that says "ready" without its file.
    Export.objects.filter(pk__in=[pk for pk, _ in due], status=S.DONE).update(status=S.EXPIRED)
    root = Path(settings.PRIVATE_FILES_ROOT)
    for _pk, name in due:
        (root / name).unlink(missing_ok=True)

    stray = 0
    oldest = time.time() - 2 * settings.FINANCE_EXPORT_TIME_LIMIT
    for part in (root / EXPORTS_DIR).glob("*.part"):
        if part.stat().st_mtime < oldest:
            part.unlink(missing_ok=True)
            stray += 1

    lost = list(
        Export.objects.filter(
            Q(status=S.QUEUED, enqueued_at__lte=now - RESEND_AFTER)
            | Q(status=S.RUNNING, heartbeat_at__lte=now - STALE)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
    Export.objects.filter(pk__in=lost).update(enqueued_at=now)
    for pk in lost:
        _send(pk)
    return f"{len(due)} expired, {stray} stray files removed, {len(lost)} sent again"
