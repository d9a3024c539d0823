"""A finance export as a row: asked for on the exports page, written by a job
(``finance.jobs.write_export``), downloaded from its own page until it expires.

The row is the source of truth, as the outbox's is for mail: a job only writes an export the
row says is waiting, under a claim, so a retried or redelivered job never writes a finished
export again, and one that finds another writer's claim leaves it alone.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Being written"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


S = ExportStatus

# The status table, declared once: where an export may go from each status. Services move a row
# only along it (``services._move``); nothing else compares statuses to decide what may happen.
# * running → queued: an attempt failed and Celery retries it (the claim is given back);
# * running → running: a writer whose heartbeat stopped (its worker died) is taken over;
# * done → expired: the periodic sweep deleted the file after the keeping period.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.QUEUED: frozenset({S.RUNNING, S.FAILED}),
    S.RUNNING: frozenset({S.RUNNING, S.QUEUED, S.DONE, S.FAILED}),
    S.DONE: frozenset({S.EXPIRED}),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
}
# A page of an export in one of these refreshes itself: a job will still change it.
IN_PROGRESS = frozenset({S.QUEUED, S.RUNNING})
# Only a written export offers its file.
DOWNLOADABLE = frozenset({S.DONE})


class Export(models.Model):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A register's key, or ``exports.ALL`` (finance.forms.REGISTER_CHOICES).
    register = models.CharField(max_length=40)
    # ``selectors.ExportFilters.as_json()``: rebuilt (and scoped again) by the job.
    filters = models.JSONField(default=dict)
    # What the export holds, in words, for the lists (so they need no lookups per row).
    description = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=S.QUEUED)
    # Rows written so far, per register key: the progress page's figures.
    rows = models.JSONField(default=dict, blank=True)
    # The name the download is saved under, and where the file lives, relative to
    # settings.PRIVATE_FILES_ROOT (random, never served directly).
    file_name = models.CharField(max_length=100, blank=True)
    stored_name = models.CharField(max_length=100)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The writer holding the row: a fresh token per attempt. A writer that finds another token
    # on the row has lost it and writes nothing more.
    claim = models.CharField(max_length=32, blank=True)
    # Moved on by the writer's progress: a running export whose heartbeat stopped is resumed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When its job was last handed to the queue (the sweep re-sends one that was lost).
    enqueued_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The file is deleted after this (the sweep); set when it is written.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A person's recent exports, newest first (the exports page's keyset list).
            models.Index(fields=["requested_by", "-created_at", "-id"], name="finance_export_mine"),
            # The sweep: files past their expiry, and jobs to send again.
            models.Index(fields=["status", "expires_at"], name="finance_export_sweep"),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.register}, {self.status})"

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def downloadable(self) -> bool:
        return self.status in DOWNLOADABLE

    @property
    def waiting(self) -> bool:
        return self.status == S.QUEUED

    @property
    def failed(self) -> bool:
        return self.status == S.FAILED

    @property
    def expired(self) -> bool:
        return self.status == S.EXPIRED

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())
