"""What a revision's PDF says about itself, decided in quotes.documents from the revision's state
as built through the real services and workflow: watermark, acceptance block, stamp, and bytes
that do not change once sent.

Account a is in America/New_York; the quotes here are sent on 20 November 2026, valid until
10 December 2026, so they expire at 2026-12-11 05:00 UTC.
"""

import datetime
import hashlib
import io

import pytest
from freezegun import freeze_time
from pypdf import PdfReader

from quotes import services as quote_services
from quotes.documents import revision_document, revision_pdf
from quotes.models import QuoteRevision, RevisionStatus
from quotes.policy import Action
from tests import po_builders as pb
from tests import quote_builders
from workflows import services as flow_services

VALID_UNTIL = datetime.date(2026, 12, 10)
SENT_AT = "2026-11-20 15:00:00+00:00"
BEFORE_EXPIRY = "2026-12-11 04:59:00+00:00"
AFTER_EXPIRY = "2026-12-11 05:00:00+00:00"
NOT_VALID = "NOT VALID FOR ACCEPTANCE"
BLOCK = "accepted in the billing portal by a billing contact"


def current(quote) -> QuoteRevision:
    quote.refresh_from_db()
    return QuoteRevision.objects.get(pk=quote.current_revision_id)


def fresh(revision: QuoteRevision) -> QuoteRevision:
    return QuoteRevision.objects.get(pk=revision.pk)


def text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def shape(revision: QuoteRevision, *, stamped: bool) -> tuple[str, str | None, bool, bool]:
    doc = revision_document(revision, stamped=stamped)
    return doc.status_label, doc.watermark, doc.show_acceptance_block, doc.acceptance is not None


@pytest.fixture
def sent(world):
    with freeze_time(SENT_AT):
        return quote_builders.sent_quote(world.a, world.rep_a, valid_until=VALID_UNTIL)


def decide(quote, actor, decision, **fields):
    with freeze_time(BEFORE_EXPIRY):
        if decision == Action.ACCEPT:
            flow_services.quote_accept(quote=quote, actor=actor, **fields)
        else:
            flow_services.quote_decline(
                quote=quote, actor=actor, action=decision, comment=fields["comment"]
            )


def test_draft_is_watermarked_and_cannot_be_signed(world):
    # Given a draft
    quote = quote_builders.draft_quote(world.a, world.rep_a)

    # When its PDF is made
    revision = current(quote)
    data = revision_pdf(revision)

    # Then it says it is a draft, on its page, and has no acceptance block
    assert shape(revision, stamped=False) == ("Draft", f"DRAFT\n{NOT_VALID}", False, False)
    assert "DRAFT" in text(data) and NOT_VALID in text(data)
    assert BLOCK not in text(data)


def test_revision_pending_internal_approval_is_watermarked(world):
    quote = quote_builders.pending_approval_quote(world.a, world.rep_a)
    assert shape(current(quote), stamped=True) == (
        "Pending internal approval",
        f"PENDING INTERNAL APPROVAL\n{NOT_VALID}",
        False,
        False,
    )


def test_sent_revision_can_be_signed_and_keeps_the_hash_taken_when_sent(sent):
    # Given a sent revision, before the end of its validity
    with freeze_time(BEFORE_EXPIRY):
        revision = current(sent)
        data = revision_pdf(revision)
        stamped = revision_pdf(revision, stamped=True)

    # Then it has the acceptance block and no watermark, and its bytes hash as when it was sent
    assert shape(revision, stamped=False) == ("Sent", None, True, False)
    assert BLOCK in text(data) and NOT_VALID not in text(data)
    assert hashlib.sha256(data).hexdigest() == revision.sent_pdf_sha256
    # And nothing is stamped on it yet
    assert stamped == data


def test_accepted_revision_is_stamped_and_its_original_is_the_sent_pdf(world, sent):
    # Given a sent revision's PDF
    with freeze_time(BEFORE_EXPIRY):
        as_sent = revision_pdf(current(sent))

    # When the customer accepts it with a purchase order number
    decide(sent, world.contact_a, Action.ACCEPT, new_po=pb.new_po("PO-4711"))
    revision = current(sent)
    assert revision.status == RevisionStatus.ACCEPTED

    # Then its original (unstamped) PDF is byte for byte the one that was sent and accepted,
    # also after its validity date
    with freeze_time(AFTER_EXPIRY):
        original = revision_pdf(fresh(revision))
        stamped = revision_pdf(fresh(revision), stamped=True)
    assert original == as_sent
    assert hashlib.sha256(original).hexdigest() == revision.sent_pdf_sha256
    assert revision.acceptance.pdf_sha256 == revision.sent_pdf_sha256

    # And the stamped one shows who, User ID, date, hash and PO number, without watermark or
    # signature lines
    assert shape(fresh(revision), stamped=True) == ("Accepted", None, False, True)
    printed = text(stamped)
    assert f"Accepted by {world.contact_a.display_name} (ap@alpha.example) on 2026-12-10" in printed
    assert "Purchase order number: PO-4711" in printed
    assert revision.sent_pdf_sha256 in printed.replace("\n", "")
    assert NOT_VALID not in printed and BLOCK not in printed


def test_sent_revision_past_its_validity_is_expired_before_the_job_runs(sent):
    # Given a sent revision whose validity ended, not yet marked expired
    with freeze_time(AFTER_EXPIRY):
        revision = current(sent)
        assert revision.status == RevisionStatus.SENT

        # Then its PDFs say it expired and cannot be signed
        assert shape(revision, stamped=False) == ("Expired", f"EXPIRED\n{NOT_VALID}", False, False)
        assert shape(revision, stamped=True) == ("Expired", f"EXPIRED\n{NOT_VALID}", False, False)

        # And the same once the expiry job has run
        flow_services.quote_expire(quote=sent)
        revision = current(sent)
        assert revision.status == RevisionStatus.EXPIRED
        assert shape(revision, stamped=False)[1:] == (f"EXPIRED\n{NOT_VALID}", False, False)


@pytest.mark.parametrize(
    ("decision", "fields", "label"),
    [
        (Action.REJECT, {"comment": "Too expensive"}, "Rejected"),
        (Action.REQUEST_CHANGES, {"comment": "Fewer seats"}, "Changes requested"),
    ],
)
def test_rejected_or_changes_requested_revision_is_watermarked(
    world, sent, decision, fields, label
):
    # When the customer turns the revision down
    decide(sent, world.contact_a, decision, **fields)

    # Then both its PDFs say so and have no acceptance block
    revision = current(sent)
    watermark = f"{label.upper()}\n{NOT_VALID}"
    assert shape(revision, stamped=False) == (label, watermark, False, False)
    assert shape(revision, stamped=True) == (label, watermark, False, False)
    assert label.upper() in text(revision_pdf(revision))


def test_revision_followed_by_a_newer_one_is_superseded_whatever_its_status(world, sent):
    # Given a revision the customer asked changes to, followed by a new draft
    decide(sent, world.contact_a, Action.REQUEST_CHANGES, comment="Fewer seats")
    old = current(sent)
    with freeze_time(BEFORE_EXPIRY):
        quote_services.revision_start_next(quote=sent, actor=world.rep_a)
    assert current(sent).number == 2

    # Then the old one's PDFs, stamped or not, say it is superseded
    old = fresh(old)
    assert old.status == RevisionStatus.CHANGES_REQUESTED
    watermark = f"SUPERSEDED\n{NOT_VALID}"
    assert shape(old, stamped=False) == ("Superseded", watermark, False, False)
    assert shape(old, stamped=True) == ("Superseded", watermark, False, False)
    printed = text(revision_pdf(old))
    assert "SUPERSEDED" in printed and BLOCK not in printed
    # And the new one is a draft
    assert shape(current(sent), stamped=False)[0:2] == ("Draft", f"DRAFT\n{NOT_VALID}")


def test_withdrawn_revision_is_watermarked(sent):
    # Given a sent revision the vendor withdrew
    QuoteRevision.objects.filter(pk=sent.current_revision_id).update(
        status=RevisionStatus.WITHDRAWN
    )

    # Then its PDF says so and cannot be signed
    with freeze_time(BEFORE_EXPIRY):
        revision = current(sent)
        assert shape(revision, stamped=False) == (
            "Withdrawn",
            f"WITHDRAWN\n{NOT_VALID}",
            False,
            False,
        )
