"""Finance's exports as background jobs: the form starts an export, its job writes the workbook
(in-process here, as in development; on the worker in production), the export's page shows the
progress and then the download, to the person who asked for it alone. A job run twice writes
once; a failing one is retried, then shown failed with its error; files go after seven days."""

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult
from freezegun import freeze_time

from audit.models import AuditAction, AuditEvent
from contacts.models import StaffRole
from corp_billing.celery import app
from finance import exports, jobs, services
from finance.models import Export, ExportStatus
from tests import factories
from tests.security.snapshot import db_snapshot

from .builders import registers, rows_of, workbook_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def data(world):
    registers(world)
    return world


def sign_in(client, user):
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    return client


def start(client, user, **params):
    """Posts the export form as ``user``; the job runs once the request commits."""
    sign_in(client, user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("finance:exports"), params)


def started(client, user, **params) -> Export:
    response = start(client, user, **params)
    assert response.status_code == 302, response.content.decode()
    pk = int(re.fullmatch(r"/finance/exports/(\d+)/", response["Location"])[1])
    return Export.objects.get(pk=pk)


def page_of(client, export):
    return client.get(reverse("finance:export", args=[export.pk]))


def file_of(client, export):
    return client.get(reverse("finance:export_file", args=[export.pk]))


def stored(export) -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / export.stored_name


def parts() -> list[Path]:
    return sorted((Path(settings.PRIVATE_FILES_ROOT) / "exports").glob("*.part"))


def run_job(export) -> str:
    # An eager job has already run: its result is there (see tests/jobs/test_jobs.py).
    return jobs.write_export.delay(export.pk).get(disable_sync_subtasks=False)


# --- the happy path ------------------------------------------------------------------------------


def test_the_form_starts_an_export_whose_page_offers_the_workbook_once_written(data, client):
    # When finance asks for the quotes register
    response = start(client, data.finance, register="quotes", currency="USD")

    # Then they are sent to the export's own page
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/finance/exports/{export.pk}/"
    # And the job has written it (in-process here): done, with its rows, size and checksum
    assert export.status == ExportStatus.DONE
    assert export.requested_by == data.finance
    assert export.register == "quotes"
    assert export.filters == {
        "date_from": None,
        "date_to": None,
        "account": None,
        "status": "",
        "currency": "USD",
    }
    assert export.rows == {"quotes": 2}
    assert export.attempts == 1
    assert export.expires_at == export.finished_at + timedelta(days=7)
    path = stored(export)
    assert path.read_bytes()[:2] == b"PK"
    assert export.size == path.stat().st_size
    assert export.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # kept under the private files root, away from anything served
    root = Path(settings.PRIVATE_FILES_ROOT).resolve()
    assert root in path.resolve().parents
    for served in (settings.STATIC_ROOT, getattr(settings, "MEDIA_ROOT", "")):
        if served:
            assert Path(served).resolve() not in path.resolve().parents
    assert parts() == []

    # And its page says it is ready, stops refreshing, and links the download
    page = page_of(client, export)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="export-status">Ready<' in html
    assert 'http-equiv="refresh"' not in html
    assert '<td>Quotes register (one row per revision)</td><td class="num">2</td>' in html
    assert export.sha256 in html
    assert f'href="/finance/exports/{export.pk}/file/" id="export-download"' in html

    # And the download is the workbook, as an attachment under the export's file name
    download = file_of(client, export)
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == f'attachment; filename="{export.file_name}"'
    assert re.fullmatch(r"finance-quotes-\d{8}-\d{4}\.xlsx", export.file_name)
    book = workbook_of(download)
    assert book.sheetnames == ["Quotes"]
    assert book["Quotes"]["A1"].value.startswith(
        "Quotes register (one row per revision) — currency USD · made "
    )
    assert [r["Currency"].value for r in rows_of(book["Quotes"])] == ["USD", "USD"]

    # And the audit log says who asked for which books, and who took which file
    events = AuditEvent.objects.filter(object_id=str(export.pk), object_type="finance.export")
    requested, downloaded = events.order_by("occurred_at", "id")
    assert (requested.action, requested.actor) == (
        AuditAction.FINANCE_EXPORT_REQUESTED,
        data.finance,
    )
    assert requested.after["register"] == "quotes" and requested.after["filters"] == export.filters
    assert (downloaded.action, downloaded.actor) == (
        AuditAction.FINANCE_EXPORT_DOWNLOADED,
        data.finance,
    )
    assert downloaded.after["sha256"] == export.sha256


def test_the_exports_page_lists_the_persons_own_exports_with_their_links(data, client):
    # Given two exports of finance and one of a colleague
    colleague = factories.staff(StaffRole.FINANCE, username="finance.g")
    first = started(client, data.finance, register="quotes")
    second = started(client, data.finance, register="invoices", status="accepted")
    theirs = started(client, colleague, register="purchase_orders")

    # When finance opens the exports page
    html = sign_in(client, data.finance).get(reverse("finance:exports")).content.decode()

    # Then it lists their two, newest first, with status and download links; not the colleague's
    table = html[html.index('id="my-exports"') :]
    assert table.index(f"/finance/exports/{second.pk}/") < table.index(
        f"/finance/exports/{first.pk}/"
    )
    for export in (first, second):
        assert f'href="/finance/exports/{export.pk}/file/">{export.file_name}</a>' in table
    assert "<td>Billing history: invoices; status Accepted</td>" in table
    assert "<td>Quotes register (one row per revision); all rows</td>" in table
    assert f"/finance/exports/{theirs.pk}/" not in html
    assert table.count(">Ready<") == 2
    # And the form posts, with its CSRF token
    assert '<form method="post" action="/finance/exports/" class="card" id="export-form">' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_list_of_exports_is_paged_with_a_fixed_number_of_queries(data, client):
    sign_in(client, data.finance)

    def queries_with(count: int) -> tuple[int, str]:
        Export.objects.all().delete()
        Export.objects.bulk_create(
            Export(
                requested_by=data.finance,
                register="quotes",
                description=f"Quotes register; export {i}",
                stored_name=f"exports/{i}.xlsx",
                status=ExportStatus.DONE,
                file_name=f"finance-quotes-{i}.xlsx",
                rows={"quotes": i},
            )
            for i in range(count)
        )
        client.get(reverse("finance:exports"))  # warm: sessions, content types
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("finance:exports")).content.decode()
        return len(queries), html

    one, _ = queries_with(1)
    thirty, html = queries_with(30)
    assert one == thirty
    # 25 a page, and a link to the next
    assert html.count('/file/">finance-quotes-') == 25
    assert 'rel="next"' in html


# --- nobody else sees an export ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["colleague", "rep_a", "contact_a", "deal_desk", "lost_right"])
def test_nobody_but_the_requester_who_may_still_export_sees_it(data, client, role):
    # Given finance's written export
    export = started(client, data.finance, register="quotes")
    content = stored(export).read_bytes()
    if role == "colleague":
        user = factories.staff(StaffRole.FINANCE, username="finance.g")
    elif role == "lost_right":
        # finance themselves, moved to deal desk since
        user = data.finance
        user.staff_role = StaffRole.DEAL_DESK
        user.save(update_fields=["staff_role"])
    else:
        user = data.user(role)
    sign_in(client, user)
    before = db_snapshot()
    missing = export.pk + 1000

    # When they ask for its page and its file, and for a missing export's
    answers = [
        client.get(reverse(name, args=[pk]))
        for name in ("finance:export", "finance:export_file")
        for pk in (export.pk, missing)
    ]

    # Then all four are the same 404, and nothing changed
    assert [a.status_code for a in answers] == [404] * 4
    assert answers[0].content == answers[1].content
    assert answers[2].content == answers[3].content
    assert db_snapshot() == before
    assert stored(export).read_bytes() == content
    # And the exports page lists nothing of it (finance's colleague sees an empty list)
    listing = client.get(reverse("finance:exports"))
    assert f"/finance/exports/{export.pk}/" not in listing.content.decode()


def test_a_signed_out_visitor_is_sent_to_sign_in_and_gets_no_file(data, client):
    export = started(client, data.finance, register="quotes")
    client.logout()
    before = db_snapshot()
    for name in ("finance:export", "finance:export_file"):
        response = client.get(reverse(name, args=[export.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("contacts:login"))
    assert db_snapshot() == before


def test_a_denied_request_to_start_an_export_creates_nothing(data, client):
    for user in (data.rep_a, data.deal_desk, data.contact_a):
        response = start(client, user, register="quotes")
        assert response.status_code == 404
    assert not Export.objects.exists()


def test_invalid_filters_show_the_errors_at_their_fields_and_start_nothing(data, client):
    response = start(
        client, data.finance, account="OV-9999999", date_from="2026-02-01", date_to="2026-01-01"
    )
    assert response.status_code == 400
    html = response.content.decode()
    account = html[html.index('for="id_account"') : html.index('for="id_status"')]
    assert "No account with this number." in account
    dates = html[html.index('for="id_date_to"') : html.index('for="id_account"')]
    assert "The end of the range is before its start." in dates
    assert not Export.objects.exists()


# --- the job: once, restartable, retried ---------------------------------------------------------


def test_a_job_run_again_does_not_rewrite_a_written_export(data, client, monkeypatch):
    export = started(client, data.finance, register="quotes")
    path = stored(export)
    content, mtime = path.read_bytes(), path.stat().st_mtime_ns
    calls = []
    monkeypatch.setattr(services, "workbook_write", lambda **kw: calls.append(kw))

    # When its job is delivered again (a retry, a redelivery after a worker died)
    result = run_job(export)

    # Then nothing was written, and the export is as it was
    assert calls == []
    assert result == f"export {export.pk}: done, nothing to write"
    assert path.read_bytes() == content and path.stat().st_mtime_ns == mtime
    again = Export.objects.get(pk=export.pk)
    assert (again.status, again.sha256, again.finished_at, again.attempts) == (
        ExportStatus.DONE,
        export.sha256,
        export.finished_at,
        1,
    )


def test_a_job_leaves_an_export_alone_while_another_writer_is_alive(data, client, monkeypatch):
    # Given an export another worker is writing (its heartbeat is fresh)
    monkeypatch.setattr(services, "_send", lambda pk: None)  # its own job is elsewhere
    export = started(client, data.finance, register="quotes")
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING,
        claim="a" * 32,
        attempts=1,
        heartbeat_at=timezone.now(),
        rows={"quotes": 1},
    )
    # When a second delivery of its job arrives
    result = run_job(export)
    # Then it does nothing
    assert result == f"export {export.pk}: being written by another job"
    again = Export.objects.get(pk=export.pk)
    assert (again.status, again.claim, again.rows) == (
        ExportStatus.RUNNING,
        "a" * 32,
        {"quotes": 1},
    )
    assert not stored(export).exists()


def test_a_job_after_a_worker_died_mid_write_starts_the_file_afresh(data, client, monkeypatch):
    # Given an export whose worker died while writing: a half-written temporary file, and a
    # heartbeat that stopped long ago
    monkeypatch.setattr(services, "_send", lambda pk: None)
    export = started(client, data.finance, register="quotes")
    path = stored(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    half = path.with_name(f"{path.stem}.{'d' * 32}.part")
    half.write_bytes(b"PK\x03\x04 half a workbook")
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING,
        claim="d" * 32,
        attempts=1,
        started_at=timezone.now() - timedelta(minutes=20),
        heartbeat_at=timezone.now() - timedelta(minutes=11),
        rows={"quotes": 1},
    )

    # When the job is delivered again
    run_job(export)

    # Then the export is written whole, the dead attempt's file gone
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    assert export.attempts == 2
    assert export.rows == {"quotes": 3}
    assert parts() == []
    book = workbook_of(file_of(sign_in(client, data.finance), export))
    assert len(rows_of(book["Quotes"])) == 3
    assert export.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failing_write_is_retried_then_shown_failed_with_its_error(data, client, monkeypatch):
    # Given a write that fails every time
    calls = []

    def broken(**kwargs):
        calls.append(kwargs["out"])
        Path(kwargs["out"]).write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(services, "workbook_write", broken)

    # When finance starts an export
    export = started(client, data.finance, register="quotes")

    # Then it was tried six times (once, and five retries), each on a fresh temporary file
    assert len(calls) == 6 and len(set(calls)) == 6
    # And it is failed, with the error, and no file is left behind
    assert export.status == ExportStatus.FAILED
    assert export.attempts == 6
    assert export.error == (
        "The export could not be written (6 attempts). "
        "The last error was OSError: No space left on device"
    )
    assert not stored(export).exists() and parts() == []
    # And its page says so, without a download and without refreshing
    html = page_of(client, export).content.decode()
    assert 'id="export-status">Failed<' in html
    assert "OSError: No space left on device" in html
    assert "export-download" not in html and 'http-equiv="refresh"' not in html
    assert file_of(client, export).status_code == 404
    # And an administrator sees the job failed too
    [result] = TaskResult.objects.filter(task_name="finance.write_export")
    assert result.status == "FAILURE"


def test_a_write_that_fails_once_succeeds_on_its_retry(data, client, monkeypatch):
    real = services.workbook_write
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "workbook_write", flaky)
    export = started(client, data.finance, register="quotes")
    assert len(calls) == 2
    assert (export.status, export.attempts, export.error) == (ExportStatus.DONE, 2, "")
    assert len(rows_of(workbook_of(file_of(client, export))["Quotes"])) == 3


def test_an_export_out_of_time_fails_at_once_without_retries(data, client, monkeypatch):
    calls = []

    def slow(**kwargs):
        calls.append(1)
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "workbook_write", slow)
    export = started(client, data.finance)
    assert calls == [1]
    assert export.status == ExportStatus.FAILED
    assert export.error.startswith("The export took longer than 25 minutes and was stopped.")


def test_an_export_whose_requester_lost_the_right_fails_without_writing(data, client, monkeypatch):
    # Given an export queued while its job waits
    jobs_sent = []
    monkeypatch.setattr(services, "_send", jobs_sent.append)
    export = started(client, data.finance, register="quotes")
    assert export.status == ExportStatus.QUEUED and jobs_sent == [export.pk]
    # And finance moved to deal desk meanwhile
    data.finance.staff_role = StaffRole.DEAL_DESK
    data.finance.save(update_fields=["staff_role"])

    # When the job runs
    jobs.write_export.delay(export.pk)

    # Then it fails at once (no retry can help), and no file is written
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.attempts == 1
    assert export.error == "finance.f may no longer export the registers."
    assert not stored(export).exists() and parts() == []


# --- progress ------------------------------------------------------------------------------------


def test_the_progress_is_recorded_on_the_row_as_the_rows_are_written(data, client, monkeypatch):
    # Given progress reported every row (5,000 in production)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    seen = []
    real = services._beat

    def spy(export, rows):
        real(export, rows)
        saved = Export.objects.get(pk=export.pk)
        seen.append((saved.status, dict(saved.rows)))

    monkeypatch.setattr(services, "_beat", spy)

    # When finance exports the quotes and their lines
    export = started(client, data.finance)

    # Then the row showed each step while the job was writing
    quotes = [step for step in seen if list(step[1]) == ["quotes"]]
    assert [rows for _status, rows in quotes] == [
        {"quotes": 1},
        {"quotes": 2},
        {"quotes": 3},
        {"quotes": 3},
    ]
    assert all(status == ExportStatus.RUNNING for status, _rows in seen)
    assert seen[-1][1] == export.rows
    assert export.rows == {
        "quotes": 3,
        "quote_lines": 4,
        "purchase_orders": 1,
        "po_changes": 1,
        "invoices": 0,
        "invoice_lines": 0,
    }


def test_a_running_exports_page_shows_its_progress_and_refreshes_itself(data, client, monkeypatch):
    monkeypatch.setattr(services, "_send", lambda pk: None)
    export = started(client, data.finance)
    html = page_of(client, export).content.decode()
    assert 'id="export-status">Queued<' in html
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "Waiting for a worker" in html

    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        rows={"quotes": 120000, "quote_lines": 5000},
    )
    html = page_of(client, export).content.decode()
    assert 'id="export-status">Being written<' in html
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<td>Quotes register (one row per revision)</td><td class="num">120,000</td>' in html
    assert '<td>Quote lines</td><td class="num">5,000</td>' in html
    assert '<td>Purchase orders</td><td class="num"><span class="muted">—</span></td>' in html
    assert "export-download" not in html
    assert file_of(client, export).status_code == 404


# --- the periodic sweep --------------------------------------------------------------------------


def test_the_sweep_deletes_expired_files_and_marks_their_exports_expired(data, client):
    # Given an export written eight days ago and one written today
    with freeze_time(timezone.now() - timedelta(days=8)):
        old = started(client, data.finance, register="quotes")
    new = started(client, data.finance, register="invoices")

    # When the periodic job runs
    output = jobs.sweep_exports.delay().get(disable_sync_subtasks=False)

    # Then the old file is gone and its export says so; the new one is untouched
    assert output.startswith("1 expired")
    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED
    assert not stored(old).exists()
    assert Export.objects.get(pk=new.pk).status == ExportStatus.DONE
    assert stored(new).exists()
    html = page_of(sign_in(client, data.finance), old).content.decode()
    assert 'id="export-status">Expired<' in html and "export-download" not in html
    assert file_of(client, old).status_code == 404


def test_the_sweep_sends_again_the_job_of_an_export_that_was_lost(data, client, monkeypatch):
    # Given an export whose job never reached the queue (the broker was down)
    monkeypatch.setattr(services, "_send", lambda pk: None)
    export = started(client, data.finance, register="quotes")
    monkeypatch.undo()
    # When the sweep runs a quarter of an hour later
    with freeze_time(timezone.now() + timedelta(minutes=16)):
        output = jobs.sweep_exports.delay().get(disable_sync_subtasks=False)
    # Then the export is written
    assert output.endswith("1 sent again")
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and stored(export).exists()


# --- settings ------------------------------------------------------------------------------------


def test_the_broker_never_hands_out_a_job_that_may_still_be_running():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > app.conf.task_time_limit >= settings.FINANCE_EXPORT_TIME_LIMIT
    assert jobs.write_export.time_limit == settings.FINANCE_EXPORT_TIME_LIMIT
    assert jobs.write_export.soft_time_limit < jobs.write_export.time_limit
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "finance.sweep_exports" in schedule
