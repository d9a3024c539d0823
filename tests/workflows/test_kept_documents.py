"""Issue 14, accepting without rendering: a sent revision's PDF is rendered once, when it is sent,
and kept; its download and its acceptance are those bytes. The stamped copy is made by a job
after the acceptance commits. Driven through the portal's pages as a billing contact uses them.

``renders`` counts every call of the PDF renderer (all documents go through
``quotes.documents.render_quote_pdf``) while leaving it working.
"""

import datetime
import hashlib
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from quotes import documents
from quotes import jobs as quote_jobs
from quotes import services as quote_services
from quotes.models import Acceptance, QuoteRevision, SentPdf
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.workflows.test_quote_flow import (
    as_user,  # noqa: F401  (fixture)
    decide,
    pdf_text,
    revision,
)
from tests.workflows.test_second_acceptance import second_accept, set_amount
from workflows import services as flow_services

PREPARING = "Being prepared: its SHA-256 is shown here once the copy is kept"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def renders(monkeypatch):
    """The number of PDFs rendered so far (a list: ``len(renders)``)."""
    calls: list[int] = []
    real = documents.render_quote_pdf

    def counting(doc, **kwargs):
        calls.append(1)
        return real(doc, **kwargs)

    monkeypatch.setattr(documents, "render_quote_pdf", counting)
    return calls


def download(client, quote, original=False) -> bytes:
    name = "quotes:pdf_original" if original else "quotes:pdf"
    response = client.get(reverse(name, args=[quote.number, revision(quote).number]))
    assert response.status_code == 200
    assert response["X-Content-SHA256"] == sha(response.content)
    return response.content


def page(client, quote) -> str:
    response = client.get(reverse("quotes:detail", args=[quote.number]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def printed_hashes(text: str) -> dict[str, str]:
    """The quote page's table of files: file name -> the SHA-256 printed next to it."""
    row = r'<a href="[^"]+">([^<]+\.pdf)</a></td>.*?<code class="hash"[^>]*>([0-9a-f]{64})'
    return dict(re.findall(row, text, flags=re.S))


def run_stamp_job(acceptance: Acceptance) -> str:
    # An eager job has already run: reading its result cannot block.
    return quote_jobs.stamp_acceptance.delay(acceptance.pk).get(disable_sync_subtasks=False)


def test_accepting_renders_nothing_and_keeps_the_file_the_contact_read(
    world, as_user, renders, django_capture_on_commit_callbacks
):
    # Given a sent quote: sending rendered its PDF once
    quote = qb.sent_quote(world.a, world.rep_a)
    assert len(renders) == 1
    sent = SentPdf.objects.get(revision_id=quote.current_revision_id)
    assert sent.sha256 == sha(bytes(sent.pdf)) == revision(quote).sent_pdf_sha256

    # When the billing contact downloads it, it is that file, rendered again for nobody
    customer = as_user(world.contact_a)
    read = download(customer, quote)
    assert read == bytes(sent.pdf)
    assert len(renders) == 1

    # When they accept, the stamped copy's job waiting for the commit
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = decide(customer, quote, "accept", po_number="PO-4711", follow=False)

    # Then the acceptance rendered no PDF, and keeps the very bytes they read, with their hash
    assert response.status_code == 302
    assert len(renders) == 1
    acceptance = Acceptance.objects.get(revision_id=quote.current_revision_id)
    assert bytes(acceptance.pdf) == read
    assert acceptance.pdf_sha256 == sha(read)
    assert download(customer, quote, original=True) == read
    # And until the job has run, the page says the stamped copy is being prepared, with no hash
    text = page(customer, quote)
    assert PREPARING in text
    assert printed_hashes(text) == {f"{quote.number}-rev1-as-accepted.pdf": sha(read)}
    assert len(renders) == 1

    # When the commit's callbacks run (the job, in-process as in development)
    for callback in after_commit:
        callback()

    # Then the job rendered the stamped copy once and kept it
    assert len(renders) == 2
    acceptance.refresh_from_db()
    stamped = bytes(acceptance.stamped_pdf)
    assert acceptance.stamped_pdf_sha256 == sha(stamped)
    text = page(customer, quote)
    assert PREPARING not in text
    # And the page prints, next to each file's name, the hash of the bytes its link downloads
    assert printed_hashes(text) == {
        f"{quote.number}-rev1-as-accepted.pdf": sha(read),
        f"{quote.number}-rev1.pdf": sha(stamped),
    }
    assert download(customer, quote) == stamped
    assert f"Accepted by {world.contact_a.display_name} (ap@alpha.example)" in pdf_text(stamped)
    assert sha(read) in pdf_text(stamped).replace(" ", "")
    assert len(renders) == 2


def test_the_stamp_job_run_again_changes_nothing(world, renders):
    # Given an accepted quote whose stamped copy the job has made
    quote = qb.sent_quote(world.a, world.rep_a)
    flow_services.quote_accept(quote=quote, actor=world.contact_a, new_po=pb.new_po("PO-1"))
    acceptance = Acceptance.objects.get(revision_id=quote.current_revision_id)
    assert "stamped" in run_stamp_job(acceptance)
    acceptance.refresh_from_db()
    kept = (bytes(acceptance.stamped_pdf), acceptance.stamped_pdf_sha256)
    rendered = len(renders)

    # When the job is delivered again (a retry, or a redelivery after a worker died)
    result = run_stamp_job(acceptance)

    # Then it renders nothing and the kept copy is the same
    assert result == f"acceptance {acceptance.pk}: kept already, {kept[1]}"
    assert len(renders) == rendered
    acceptance.refresh_from_db()
    assert (bytes(acceptance.stamped_pdf), acceptance.stamped_pdf_sha256) == kept


def test_a_stamped_download_before_the_job_is_kept_and_the_job_then_keeps_it(
    world, as_user, renders
):
    # Given an accepted quote whose job has not run (the test's transaction never commits)
    quote = qb.sent_quote(world.a, world.rep_a)
    customer = as_user(world.contact_a)
    decide(customer, quote, "accept", po_number="PO-1")
    assert Acceptance.objects.get().stamped_pdf_sha256 == ""

    # When a contact downloads the stamped copy, it is made then, and kept
    first = download(customer, quote)
    # Then the page prints that file's hash, and later downloads are the same bytes
    assert printed_hashes(page(customer, quote))[f"{quote.number}-rev1.pdf"] == sha(first)
    assert download(as_user(world.rep_a), quote) == first
    rendered = len(renders)
    # And the job, when it runs, keeps what was downloaded
    assert run_stamp_job(Acceptance.objects.get()).endswith(sha(first))
    assert len(renders) == rendered
    assert bytes(Acceptance.objects.get().stamped_pdf) == first


def test_the_sent_file_stays_what_was_sent_when_the_account_changes(world, as_user, renders):
    # Given a sent quote
    quote = qb.sent_quote(world.a, world.rep_a)
    customer = as_user(world.contact_a)
    before = download(customer, quote)
    assert "Alpha Corp" in pdf_text(before)

    # When the account is renamed and moves
    world.a.name = "Alpha Renamed Corp"
    world.a.billing_address = "1 New Street\nElsewhere"
    world.a.save()

    # Then the quote still reads as it was sent, and that is what the contact accepts
    assert download(customer, quote) == before
    decide(customer, quote, "accept", po_number="PO-1")
    assert bytes(Acceptance.objects.get().pdf) == before
    assert len(renders) == 1


def test_a_revision_sent_before_files_were_kept_gets_its_file_on_first_download(
    world, as_user, renders
):
    # Given a revision sent before its PDF was kept (as the scale seed's copies are)
    quote = qb.sent_quote(world.a, world.rep_a)
    SentPdf.objects.all().delete()
    customer = as_user(world.contact_a)
    rendered = len(renders)

    # When the contact downloads it twice
    first = download(customer, quote)
    second = download(customer, quote)

    # Then it was rendered once, kept, and is the same file both times
    assert first == second == bytes(SentPdf.objects.get().pdf)
    assert len(renders) == rendered + 1
    # And accepting it keeps those bytes, rendering nothing
    decide(customer, quote, "accept", po_number="PO-1")
    assert bytes(Acceptance.objects.get().pdf) == first
    assert len(renders) == rendered + 1


def test_a_revision_sent_before_files_were_kept_is_accepted_with_one_render(world, renders):
    # Given a revision sent before its PDF was kept, which nobody downloaded
    quote = qb.sent_quote(world.a, world.rep_a)
    SentPdf.objects.all().delete()
    rendered = len(renders)

    # When it is accepted
    flow_services.quote_accept(quote=quote, actor=world.contact_a, new_po=pb.new_po("PO-1"))

    # Then it is rendered once, as sent, and that file is both kept and accepted
    assert len(renders) == rendered + 1
    kept = SentPdf.objects.get()
    acceptance = Acceptance.objects.get()
    assert bytes(acceptance.pdf) == bytes(kept.pdf)
    assert acceptance.pdf_sha256 == kept.sha256 == sha(bytes(kept.pdf))


def test_a_sent_revision_past_its_validity_downloads_as_expired_not_as_sent(
    world, as_user, renders
):
    # Given a quote sent with a validity of 10 December 2026 (New York), whose expiry job has
    # not run
    with freeze_time("2026-11-20 15:00:00+00:00"):
        quote = qb.sent_quote(world.a, world.rep_a, valid_until=datetime.date(2026, 12, 10))
        as_sent = download(as_user(world.contact_a), quote)

    # When it is downloaded after its validity
    with freeze_time("2026-12-11 06:00:00+00:00"):
        late = download(as_user(world.contact_a), quote)

    # Then it carries its status, not the kept file that could be signed
    assert late != as_sent
    assert "EXPIRED" in pdf_text(late) and "NOT VALID FOR ACCEPTANCE" in pdf_text(late)
    assert QuoteRevision.objects.get(pk=quote.current_revision_id).status == "sent"


def test_the_second_acceptance_renders_nothing_and_the_stamp_names_both(
    world, as_user, renders, django_capture_on_commit_callbacks
):
    # Given a 2,400 quote on an account that needs two billing contacts above 1,000, accepted
    # once by contact_a
    set_amount(as_user(world.rep_a), world.a, "1000")
    quote = qb.sent_quote(world.a, world.rep_a)
    decide(as_user(world.contact_a), quote, "accept", po_number="PO-2SIG")
    acceptance = Acceptance.objects.get()
    second = as_user(world.contact_a2)
    # the second contact reads what the first accepted
    assert download(second, quote) == bytes(acceptance.pdf)
    rendered = len(renders)

    # When contact_a2 gives the second acceptance
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = second_accept(second, quote, acceptance.pdf_sha256, follow=False)

    # Then nothing was rendered in the request
    assert response.status_code == 302
    assert revision(quote).status == "accepted"
    assert len(renders) == rendered
    # And the job makes the stamped copy, naming both contacts
    for callback in after_commit:
        callback()
    assert len(renders) == rendered + 1
    acceptance.refresh_from_db()
    text = pdf_text(bytes(acceptance.stamped_pdf))
    assert f"Accepted by {world.contact_a.display_name}" in text
    assert f"and by {world.contact_a2.display_name}" in text
    assert download(second, quote) == bytes(acceptance.stamped_pdf)


def test_the_sweep_makes_the_stamped_copies_whose_job_was_lost(world, as_user, renders):
    # Given two accepted quotes whose jobs never ran (the broker was down, say)
    customer = as_user(world.contact_a)
    quotes = [qb.sent_quote(world.a, world.rep_a) for _ in range(2)]
    for i, quote in enumerate(quotes):
        decide(customer, quote, "accept", po_number=f"PO-{i}")
    # and one accepted once, awaiting its second contact: nothing to stamp yet
    waiting = qb.awaiting_second_quote(world.b, world.rep_b, world.contact_b)
    assert set(Acceptance.objects.values_list("stamped_pdf_sha256", flat=True)) == {""}
    assert quote_services.acceptance_stamp_missing(limit=0) == (0, 2)

    # When the periodic sweep runs
    result = quote_jobs.stamp_missing.delay().get(disable_sync_subtasks=False)

    # Then each accepted quote has its stamped copy, which its download serves
    assert result == "2 stamped copies made, 0 still missing"
    for quote in quotes:
        kept = Acceptance.objects.get(revision_id=quote.current_revision_id)
        assert kept.stamped_pdf_sha256 == sha(bytes(kept.stamped_pdf))
        assert download(customer, quote) == bytes(kept.stamped_pdf)
    # And the one awaiting a second contact is left as it is
    assert Acceptance.objects.get(revision_id=waiting.current_revision_id).stamped_pdf == b""
    # And a second sweep finds nothing to do
    rendered = len(renders)
    assert quote_jobs.stamp_missing.delay().get(disable_sync_subtasks=False) == (
        "0 stamped copies made, 0 still missing"
    )
    assert len(renders) == rendered


def test_the_quote_page_does_not_read_the_kept_pdfs(
    world, as_user, django_capture_on_commit_callbacks
):
    # Given an accepted quote, whose acceptance keeps two PDFs (hundreds of KB for a long one)
    quote = qb.sent_quote(world.a, world.rep_a)
    customer = as_user(world.contact_a)
    with django_capture_on_commit_callbacks(execute=True):  # the stamp job runs, too
        decide(customer, quote, "accept", po_number="PO-4711")
    assert Acceptance.objects.get(revision_id=quote.current_revision_id).stamped_pdf_sha256
    # When the quote's page is shown, to the customer and to the representative
    for client in (customer, as_user(world.rep_a)):
        with CaptureQueriesContext(connection) as queries:
            text = page(client, quote)
        # Then it prints both files' hashes without reading either file
        assert len(printed_hashes(text)) == 2
        kept_pdf = re.compile(r'"quotes_acceptance"\."(stamped_)?pdf"')
        assert [q["sql"] for q in queries if kept_pdf.search(q["sql"])] == []
