"""A refused form comes back with each error at the field it concerns and with what the person
typed (issue 10): the customer's decision, the PO entered while accepting, deal desk's review,
the member's message to the billing admin. Text areas say their limit, and a longer text is
refused whole, never cut."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from quotes.models import RevisionStatus
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.page_errors import field_errors, field_value, form_refusals
from tests.security.snapshot import db_snapshot

pytestmark = pytest.mark.django_db

LONG = ("Twelve seats, not ten, and the annual price we agreed on the phone. " * 40).strip()


def decide(client, quote, **data):
    return client.post(reverse("workflows:quote_decide", args=[quote.number]), data)


def test_a_rejection_without_a_reason_is_refused_at_the_comment(world, login):
    quote = qb.sent_quote(world.a, world.rep_a)
    client = login(world.contact_a)
    before = db_snapshot()
    page = decide(client, quote, decision="reject", comment="  ")
    assert page.status_code == 400
    assert field_errors(page, "comment") == ["Give a reason for rejecting the quote."]
    assert db_snapshot() == before


def test_an_over_long_comment_is_refused_and_kept_whole(world, login):
    # Given a sent quote and a billing contact who writes 2,720 characters
    quote = qb.sent_quote(world.a, world.rep_a)
    client = login(world.contact_a)
    before = db_snapshot()
    # When they request changes with it
    page = decide(client, quote, decision="request_changes", comment=LONG)
    # Then the comment is refused at its field, with all they wrote still in the box
    assert page.status_code == 400
    assert field_errors(page, "comment") == [
        f"Ensure this value has at most 2000 characters (it has {len(LONG)})."
    ]
    assert field_value(page, "decision-comment") == LONG
    assert db_snapshot() == before


def test_a_new_po_missing_its_amount_is_refused_at_that_field_keeping_the_rest(world, login):
    quote = qb.sent_quote(world.a, world.rep_a)
    client = login(world.contact_a)
    fields = {**pb.new_po_fields("PO-2027-17", "5000"), "po_amount": ""}
    before = db_snapshot()
    page = decide(client, quote, decision="accept", **fields)
    assert page.status_code == 400
    assert field_errors(page, "po_amount") == ["Enter the new PO's amount."]
    assert field_value(page, "po-number") == "PO-2027-17"
    assert field_value(page, "po-valid-from") == fields["po_valid_from"]
    assert db_snapshot() == before


def test_a_po_number_the_account_already_has_is_refused_at_the_po_number(world, login):
    pb.purchase_order(world.a, world.contact_a, "PO-TAKEN", "90000")
    quote = qb.sent_quote(world.a, world.rep_a)
    page = decide(
        login(world.contact_a), quote, decision="accept", **pb.new_po_fields("PO-TAKEN", "5000")
    )
    assert page.status_code == 400
    assert field_errors(page, "po_number") == [
        "Your account already has a purchase order PO-TAKEN."
    ]
    assert field_value(page, "po-number") == "PO-TAKEN"
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.SENT


def test_deal_desk_s_send_back_without_a_comment_is_refused_at_the_comment(world, login):
    quote = qb.pending_approval_quote(world.a, world.rep_a)
    client = login(world.deal_desk)
    page = client.post(
        reverse("workflows:quote_review", args=[quote.number]), {"decision": "send_back"}
    )
    assert page.status_code == 400
    assert field_errors(page, "comment") == [
        "Say what must change before the quote can be approved."
    ]


def test_someone_without_the_right_gets_the_404_not_the_form(world, login):
    quote = qb.sent_quote(world.a, world.rep_a)
    page = decide(login(world.rep_a), quote, decision="reject", comment="")
    assert page.status_code == 404


@pytest.mark.parametrize(
    ("role", "field_id", "limit"),
    [
        ("contact_a", "decision-comment", "2,000"),
        ("rep_a", "withdraw-reason", "2,000"),
    ],
)
def test_the_quote_page_s_text_areas_say_their_limit(world, login, role, field_id, limit):
    quote = qb.sent_quote(world.a, world.rep_a)
    page = login(world.user(role)).get(reverse("quotes:detail", args=[quote.number]))
    html = page.content.decode()
    area = re.search(rf'<textarea[^>]* id="{field_id}"[^>]*>', html)[0]
    # the limit is declared for the counter, not enforced by cutting pasted text
    assert f'data-limit="{limit.replace(",", "")}"' in area and "maxlength" not in area
    assert f'aria-describedby="{field_id}-limit"' in area
    assert f'<p class="help limit" id="{field_id}-limit"' in html
    assert f"At most {limit} characters." in html


def test_the_member_s_message_is_refused_not_truncated(world, login):
    # Given a member writing to their billing admin, 2,720 characters
    client = login(world.member_a)
    url = reverse("contacts:email_billing_admin", args=[world.a.number])
    form = client.get(url).content.decode()
    area = re.search(r'<textarea[^>]* name="message"[^>]*>', form)[0]
    assert "maxlength" not in area and 'data-limit="2000"' in area
    assert "At most 2,000 characters." in form
    # When they send it
    page = client.post(url, {"message": LONG})
    # Then it is refused at the message, nothing is sent, and their text is all still there
    assert page.status_code == 400
    assert field_errors(page, "message") == [
        f"Your message has {len(LONG)} characters; at most 2000 fit. Shorten it and send it "
        "again: nothing was sent."
    ]
    assert field_value(page, "id_message") == LONG
    assert mail.outbox == []
    assert form_refusals(page) == []
