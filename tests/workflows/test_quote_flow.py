"""The quote approval flow, driven through the portal's pages as each person would use them:
the representative drafts, deal desk approves or sends back, a billing contact accepts, rejects
or requests changes, and quotes expire at the end of their validity day.

Account a (USD, PO required, America/New_York) has billing contacts contact_a (primary) and
contact_a2, a member, and representative rep_a; account b has contact_b and rep_b. The default
approval rules are: any line discount over 15 %, whole-quote discount over 10 %, total over
100,000.
"""

import datetime
import hashlib
import html
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent
from contacts import services as contact_services
from contacts.models import Membership
from quotes.models import Acceptance, Quote, QuoteRevision
from quotes.policy import Action
from tests import po_builders as pb
from tests import quote_builders
from tests.page_errors import field_errors, form_refusals
from workflows import services as flow_services
from workflows.flows import QuoteFlow
from workflows.models import QuoteProcess

PREFIX = "OpenVoice: "
DECIDE_LABEL = "Accept, reject or request changes"
REVIEW_LABEL = "Approve or send back"
REVISE_LABEL = "Revise and resubmit"
OPEN = (STATUS.NEW, STATUS.ASSIGNED)


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def seat(db):
    """OV-SEAT-STD, 240.00 USD a year list price."""
    return quote_builders.product()


@pytest.fixture
def as_user(db):
    """A fresh browser signed in as ``user`` (one per person, so sessions do not mix)."""

    def _as(user) -> Client:
        client = Client()
        client.force_login(user, backend="contacts.backends.LoginIdBackend")
        return client

    return _as


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """``with deliver():`` runs on-commit callbacks, so mail lands in ``mail.outbox``."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def alerts(response) -> list[tuple[str, str]]:
    """(kind, text) of the flash messages on a rendered page."""
    return [
        (kind, html.unescape(text))
        for kind, text in re.findall(
            r'<div class="alert ([^"]*)" role="status">(.*?)</div>', response.content.decode()
        )
    ]


def inbox(client) -> list[tuple[str, str]]:
    """(task label, quote number) rows of the signed-in person's /tasks/ page."""
    response = client.get(reverse("workflows:inbox"))
    assert response.status_code == 200
    return re.findall(
        r'<td><a href="/quotes/[^"]+/">([^<]+)</a></td><td>(Q-\d{4}-\d{6}) revision \d+ —',
        response.content.decode(),
    )


def line(product, quantity="10", unit_price="", discount="", description="") -> dict:
    return {
        "product": str(product.pk),
        "quantity": quantity,
        "unit_price": unit_price,
        "discount_percent": discount,
        "description": description,
    }


def edit_data(lines, *, term_months=12, frequency="annually", valid_until=None, notes="", terms=""):
    valid_until = valid_until or datetime.date.today() + datetime.timedelta(days=30)
    data = {
        "title": "2027 renewal, 10 seats",
        "term_months": str(term_months),
        "billing_frequency": frequency,
        "valid_until": valid_until.isoformat(),
        "terms": terms,
        "notes": notes,
        "lines-TOTAL_FORMS": str(len(lines) + 1),  # one empty extra row, as the page sends it
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "5000",
    }
    for index, values in enumerate([*lines, {}]):
        for name in ("product", "quantity", "unit_price", "discount_percent", "description"):
            data[f"lines-{index}-{name}"] = values.get(name, "")
    return data


def create_quote(rep_client, account, *, title="2027 renewal, 10 seats", valid_until=None):
    """The representative opens the create form and posts it."""
    page = rep_client.get(reverse("quotes:create", args=[account.number]))
    assert page.status_code == 200
    (key,) = re.findall(r'name="idempotency_key" value="([0-9a-f-]{36})"', page.content.decode())
    valid_until = valid_until or datetime.date.today() + datetime.timedelta(days=30)
    response = rep_client.post(
        reverse("quotes:create", args=[account.number]),
        {
            "idempotency_key": key,
            "title": title,
            "term_months": "12",
            "billing_frequency": "annually",
            "valid_until": valid_until.isoformat(),
            "terms": "Net 30",
            "notes": "",
        },
    )
    quote = Quote.objects.get(idempotency_key=key)
    assert response.status_code == 302
    assert response["Location"] == reverse("quotes:edit", args=[quote.number])
    return quote


def edit(rep_client, quote, lines, **header):
    response = rep_client.post(
        reverse("quotes:edit", args=[quote.number]), edit_data(lines, **header)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("quotes:detail", args=[quote.number])
    return response


def draft(rep_client, account, lines, **header) -> Quote:
    quote = create_quote(rep_client, account, valid_until=header.get("valid_until"))
    edit(rep_client, quote, lines, **header)
    return quote


def submit(rep_client, quote):
    return rep_client.post(reverse("workflows:quote_submit", args=[quote.number]), follow=True)


def review(client, quote, decision, comment=""):
    return client.post(
        reverse("workflows:quote_review", args=[quote.number]),
        {"decision": decision, "comment": comment},
        follow=True,
    )


def decide(client, quote, decision, comment="", po_number="", follow=True):
    return client.post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {
            "decision": decision,
            "comment": comment,
            # A PO number means a new PO entered while accepting (valid today, large enough).
            **(pb.new_po_fields(po_number) if po_number else {}),
        },
        follow=follow,
    )


def new_revision(rep_client, quote):
    response = rep_client.post(reverse("quotes:new_revision", args=[quote.number]))
    assert response.status_code == 302
    assert response["Location"] == reverse("quotes:edit", args=[quote.number])
    return response


def revision(quote, number=None) -> QuoteRevision:
    if number is None:
        quote.refresh_from_db()
        return QuoteRevision.objects.get(pk=quote.current_revision_id)
    return QuoteRevision.objects.get(quote=quote, number=number)


def statuses(quote) -> list[str]:
    return list(
        QuoteRevision.objects.filter(quote=quote)
        .order_by("number")
        .values_list("status", flat=True)
    )


def processes(quote) -> list[str]:
    return [p.status for p in QuoteProcess.objects.filter(quote=quote).order_by("pk")]


def actions(quote) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="quotes.quote", object_id=str(quote.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def open_tasks(quote) -> list[str]:
    return [
        task.flow_task.name
        for task in Task.objects.filter(
            process__quoteprocess__quote=quote, status__in=OPEN
        ).order_by("id")
    ]


def snapshot(quote):
    """Everything a refused or failed action must leave as it was."""
    return (
        list(
            QuoteRevision.objects.filter(quote=quote)
            .order_by("number")
            .values_list(
                "number",
                "status",
                "decided_by",
                "decision_comment",
                "approved_by",
                "approved_at",
                "review_comment",
                "sent_at",
            )
        ),
        list(QuoteProcess.objects.filter(quote=quote).order_by("pk").values_list("pk", "status")),
        list(
            Task.objects.filter(process__quoteprocess__quote=quote)
            .order_by("pk")
            .values_list("pk", "status", "owner")
        ),
        Acceptance.objects.filter(revision__quote=quote).count(),
        AuditEvent.objects.count(),
        len(mail.outbox),
    )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def billing_contacts_of_a(world) -> list[str]:
    return sorted([world.contact_a.email, world.contact_a2.email])


def sent_subject(quote, number=1) -> str:
    return f"{PREFIX}Quote {quote.number} (revision {number}) is ready for your review"


# --- 1. straight accept ----------------------------------------------------------------------


def test_straight_accept_with_purchase_order(world, seat, as_user, deliver):
    rep, customer = as_user(world.rep_a), as_user(world.contact_a)

    # Given the representative creates a quote through the form
    quote = create_quote(rep, world.a)
    assert statuses(quote) == ["draft"]

    # And edits its lines: 10 seats at the list price, no discount
    assert rep.get(reverse("quotes:edit", args=[quote.number])).status_code == 200
    edit(rep, quote, [line(seat, quantity="10")])
    rev = revision(quote)
    assert (rev.subtotal, rev.discount_total, rev.total) == (
        Decimal("2400.00"),
        Decimal("0.00"),
        Decimal("2400.00"),
    )
    assert list(rev.lines.values_list("sku", "quantity", "unit_price", "net_amount")) == [
        ("OV-SEAT-STD", Decimal("10.00"), Decimal("240.00"), Decimal("2400.00"))
    ]

    # When the representative submits it (no rule fires)
    with deliver():
        page = submit(rep, quote)

    # Then it goes straight to the account's billing contacts, not to deal desk
    assert ("success", "Quote submitted.") in alerts(page)
    assert statuses(quote) == ["sent"]
    (sent,) = mail.outbox
    assert sent.to == billing_contacts_of_a(world)
    assert sent.subject == sent_subject(quote)
    # with a link through the Corporate Billing Portal's sign-in to the quote
    assert (
        f"https://billing.openvoice.example/corp-billing/login/?next=/quotes/{quote.number}/"
        in sent.body
    )
    assert inbox(customer) == [(DECIDE_LABEL, quote.number)]
    assert inbox(as_user(world.contact_a2)) == [(DECIDE_LABEL, quote.number)]
    assert inbox(rep) == []
    assert inbox(as_user(world.deal_desk)) == []
    assert open_tasks(quote) == ["customer_decision"]

    # When contact_a accepts without the PO number account a requires
    before = snapshot(quote)
    with deliver():
        page = decide(customer, quote, "accept")

    # Then a clear message at the purchase-order part of the form, and nothing changed
    assert page.status_code == 400
    assert form_refusals(page, within='class="po-fields"') == [
        "Your account requires a purchase order to accept a quote: choose one or enter a new one."
    ]
    assert snapshot(quote) == before

    # When contact_a accepts with a PO number
    mail.outbox.clear()
    with deliver():
        page = decide(customer, quote, "accept", po_number=" PO-4711 ")

    # Then the quote is accepted, with the hash of the exact PDF that was sent
    assert ("success", "You accepted the quote. Your representative has been told.") in alerts(page)
    rev = revision(quote)
    assert (rev.status, rev.decided_by) == ("accepted", world.contact_a)
    acceptance = Acceptance.objects.get(revision=rev)
    assert (acceptance.accepted_by, acceptance.po_number, acceptance.ip_address) == (
        world.contact_a,
        "PO-4711",
        "127.0.0.1",
    )
    original = customer.get(reverse("quotes:pdf_original", args=[quote.number, 1]))
    assert original.status_code == 200
    assert acceptance.pdf_sha256 == hashlib.sha256(original.content).hexdigest()
    assert acceptance.pdf_sha256 == rev.sent_pdf_sha256
    assert original["X-Content-SHA256"] == rev.sent_pdf_sha256

    # And the representative is told
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {
        (world.rep_a.email,),
        (world.contact_a.email,),
        (world.contact_a2.email,),
    }
    decided = by_recipient[world.rep_a.email,]
    assert decided.subject == (
        f"{PREFIX}Quote {quote.number} rev 1: accepted by {world.contact_a.display_name}"
    )
    assert "Purchase order: PO-4711" in decided.body
    # and the contact who accepted gets the very PDF they accepted, to file
    confirmation = by_recipient[world.contact_a.email,]
    assert confirmation.subject == f"{PREFIX}You accepted quote {quote.number} (revision 1)"
    ((filename, content, mimetype),) = confirmation.attachments
    assert (filename, mimetype) == (f"{quote.number}-rev1-as-accepted.pdf", "application/pdf")
    assert hashlib.sha256(content).hexdigest() == acceptance.pdf_sha256
    assert acceptance.pdf_sha256 in confirmation.body
    # and every other billing contact of the account learns it was accepted, and by whom
    told = by_recipient[world.contact_a2.email,]
    assert told.subject == (
        f"{PREFIX}Quote {quote.number} (revision 1) was accepted by {world.contact_a.display_name}"
    )
    assert "Purchase order: PO-4711" in told.body and not told.attachments

    # And the process is finished, no task is open, nobody's inbox has it
    assert processes(quote) == [PROCESS.DONE]
    assert QuoteProcess.objects.get(quote=quote).status == "DONE"
    assert open_tasks(quote) == []
    assert inbox(customer) == []
    assert actions(quote) == [
        AuditAction.QUOTE_CREATED,
        AuditAction.QUOTE_EDITED,
        AuditAction.QUOTE_SUBMITTED,
        AuditAction.QUOTE_SENT,
        AuditAction.QUOTE_ACCEPTED,
    ]
    accepted_event = AuditEvent.objects.get(action=AuditAction.QUOTE_ACCEPTED)
    assert accepted_event.after == {
        "revision": 1,
        "comment": "",
        "po_number": "PO-4711",
        "pdf_sha256": rev.sent_pdf_sha256,
    }

    # And the stamped PDF download says who accepted it, and the hash of what they accepted
    stamped = customer.get(reverse("quotes:pdf", args=[quote.number, 1]))
    text = pdf_text(stamped.content)
    assert f"Accepted by {world.contact_a.display_name} (ap@alpha.example)" in text
    assert rev.sent_pdf_sha256 in text.replace("\n", "")
    assert hashlib.sha256(stamped.content).hexdigest() != rev.sent_pdf_sha256

    # And deciding again is refused with a clear conflict
    again = decide(customer, quote, "reject", comment="changed my mind", follow=False)
    assert again.status_code == 409
    assert "This quote was already accepted; nothing was changed." in again.content.decode()


def test_create_form_posted_twice_makes_one_quote(world, as_user):
    rep = as_user(world.rep_a)
    page = rep.get(reverse("quotes:create", args=[world.a.number]))
    (key,) = re.findall(r'name="idempotency_key" value="([0-9a-f-]{36})"', page.content.decode())
    data = {
        "idempotency_key": key,
        "title": "Renewal",
        "term_months": "12",
        "billing_frequency": "annually",
        "valid_until": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
    }
    first = rep.post(reverse("quotes:create", args=[world.a.number]), data)
    second = rep.post(reverse("quotes:create", args=[world.a.number]), data)
    assert first["Location"] == second["Location"]
    assert Quote.objects.count() == 1
    assert actions(Quote.objects.get()) == [AuditAction.QUOTE_CREATED]


# --- 2. deal-desk approval -------------------------------------------------------------------


def test_discount_over_the_limit_needs_deal_desk_approval(world, seat, as_user, deliver):
    rep, desk = as_user(world.rep_a), as_user(world.deal_desk)
    # Given a draft with a 20 % line discount
    quote = draft(rep, world.a, [line(seat, quantity="10", discount="20")])

    # When the representative submits it
    with deliver():
        page = submit(rep, quote)

    # Then it waits for deal desk, who are mailed; the customer sees nothing yet
    assert statuses(quote) == ["pending_approval"]
    (needed,) = mail.outbox
    assert needed.to == [world.deal_desk.email]
    assert needed.subject == f"{PREFIX}Approval needed: quote {quote.number} rev 1"

    # And the page shows which rules fired and by how much
    content = html.unescape(page.content.decode())
    assert (
        "Line 1 (OpenVoice Standard seat) has a 20.00% discount: 5.00 points over the "
        "15.00% limit." in content
    )
    assert "The whole quote is discounted 20.00%: 10.00 points over the 10.00% limit." in content
    event = AuditEvent.objects.get(action=AuditAction.QUOTE_APPROVAL_REQUIRED)
    assert event.after == {
        "tier": "deal_desk",
        "rules": [
            "Line 1 (OpenVoice Standard seat) has a 20.00% discount: 5.00 points over the "
            "15.00% limit.",
            "The whole quote is discounted 20.00%: 10.00 points over the 10.00% limit.",
        ],
    }

    # And only deal desk has the task
    assert inbox(desk) == [(REVIEW_LABEL, quote.number)]
    assert inbox(rep) == []
    assert inbox(as_user(world.rep_b)) == []
    assert inbox(as_user(world.contact_a)) == []
    customer_view = as_user(world.contact_a).get(reverse("quotes:detail", args=[quote.number]))
    assert customer_view.status_code == 404  # a quote not yet sent does not exist for them

    # When deal desk approves
    mail.outbox.clear()
    with deliver():
        page = review(desk, quote, "approve", comment="Strategic account")

    # Then the quote is sent to the billing contacts, approved by deal desk
    assert ("success", "Approved: the quote was sent to the customer.") in alerts(page)
    rev = revision(quote)
    assert (rev.status, rev.approved_by, rev.review_comment) == (
        "sent",
        world.deal_desk,
        "Strategic account",
    )
    sent, approved = mail.outbox
    assert (sent.to, sent.subject) == (billing_contacts_of_a(world), sent_subject(quote))
    # and the representative learns that deal desk approved and sent it
    assert (approved.to, approved.subject) == (
        [world.rep_a.email],
        f"{PREFIX}Quote {quote.number} rev 1 was approved by deal desk and sent to the customer",
    )
    assert "Deal desk's comment: Strategic account" in approved.body
    assert inbox(desk) == []
    assert inbox(as_user(world.contact_a)) == [(DECIDE_LABEL, quote.number)]
    assert actions(quote)[-4:] == [
        AuditAction.QUOTE_SUBMITTED,
        AuditAction.QUOTE_APPROVAL_REQUIRED,
        AuditAction.QUOTE_APPROVED,
        AuditAction.QUOTE_SENT,
    ]
    # The customer does not see the vendor's internal approval in the history
    customer_page = as_user(world.contact_a).get(reverse("quotes:detail", args=[quote.number]))
    assert "Strategic account" not in customer_page.content.decode()
    assert "Approval rules that fired" not in customer_page.content.decode()


# --- 3. deal-desk send-back ------------------------------------------------------------------


def test_send_back_then_resubmit_without_a_rule_goes_straight_out(world, seat, as_user, deliver):
    rep, desk = as_user(world.rep_a), as_user(world.deal_desk)
    quote = draft(rep, world.a, [line(seat, quantity="10", discount="20")])
    submit(rep, quote)

    # When deal desk sends it back without a comment
    before = snapshot(quote)
    page = review(desk, quote, "send_back")

    # Then a message at the comment, and nothing changed
    assert page.status_code == 400
    assert field_errors(page, "comment") == [
        "Say what must change before the quote can be approved."
    ]
    assert snapshot(quote) == before

    # When deal desk sends it back with a comment
    with deliver():
        page = review(desk, quote, "send_back", comment="Max 10 % for this account")

    # Then the revision is a draft again, the comment is shown, the rep has a task and a mail
    assert ("success", "Sent back.") in alerts(page)
    assert statuses(quote) == ["draft"]
    assert revision(quote).review_comment == "Max 10 % for this account"
    detail = rep.get(reverse("quotes:detail", args=[quote.number])).content.decode()
    assert "<strong>Sent back by deal desk:</strong> Max 10 % for this account" in detail
    (back,) = mail.outbox
    assert back.to == [world.rep_a.email]
    assert back.subject == f"{PREFIX}Quote {quote.number} was sent back by deal desk"
    assert "Max 10 % for this account" in back.body
    assert inbox(rep) == [(REVISE_LABEL, quote.number)]
    assert inbox(desk) == []
    assert open_tasks(quote) == ["revise"]

    # When the representative lowers the discount to 10 % and resubmits
    edit(rep, quote, [line(seat, quantity="10", discount="10")])
    mail.outbox.clear()
    with deliver():
        submit(rep, quote)

    # Then no rule fires, so it goes to the customer without deal desk, in the same process
    assert statuses(quote) == ["sent"]
    assert [m.subject for m in mail.outbox] == [sent_subject(quote)]
    assert inbox(desk) == [] and inbox(rep) == []
    assert processes(quote) == [PROCESS.NEW]
    assert open_tasks(quote) == ["customer_decision"]
    assert actions(quote)[2:] == [
        AuditAction.QUOTE_SUBMITTED,
        AuditAction.QUOTE_APPROVAL_REQUIRED,
        AuditAction.QUOTE_SENT_BACK,
        AuditAction.QUOTE_EDITED,
        AuditAction.QUOTE_SUBMITTED,
        AuditAction.QUOTE_SENT,
    ]


# --- 4. changes requested → revision 2 -------------------------------------------------------


def test_changes_requested_then_revision_two_supersedes_revision_one(world, seat, as_user, deliver):
    rep, customer = as_user(world.rep_a), as_user(world.contact_a)
    quote = draft(rep, world.a, [line(seat, quantity="10")])
    submit(rep, quote)

    # When contact_a requests changes
    with deliver():
        page = decide(customer, quote, "request_changes", comment="We need 12 seats")

    # Then the representative is told and has the revise task
    assert ("success", "Your change request was sent to your representative.") in alerts(page)
    assert statuses(quote) == ["changes_requested"]
    (told,) = mail.outbox
    assert told.to == [world.rep_a.email]
    assert told.subject == (
        f"{PREFIX}Quote {quote.number} rev 1: changes requested by {world.contact_a.display_name}"
    )
    assert "Their words: We need 12 seats" in told.body
    assert inbox(rep) == [(REVISE_LABEL, quote.number)]
    assert inbox(customer) == []

    # When the representative starts revision 2, changes the quantity and submits
    new_revision(rep, quote)
    assert statuses(quote) == ["changes_requested", "draft"]
    # (the customer cannot decide anything while revision 2 is a draft)
    before = snapshot(quote)
    refused = decide(customer, quote, "accept", po_number="PO-1", follow=False)
    assert refused.status_code == 409
    assert snapshot(quote) == before
    edit(rep, quote, [line(seat, quantity="12")])
    mail.outbox.clear()
    with deliver():
        submit(rep, quote)

    # Then revision 2 is sent, in the same process
    assert statuses(quote) == ["changes_requested", "sent"]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (billing_contacts_of_a(world), sent_subject(quote, 2))
    ]
    assert processes(quote) == [PROCESS.NEW]

    # And revision 1 stays readable, marked superseded, with no accept form
    rev1_url = reverse("quotes:revision", args=[quote.number, 1])
    rev1 = customer.get(rev1_url)
    assert rev1.status_code == 200
    rev1_html = rev1.content.decode()
    assert '<span class="badge">Superseded</span>' in rev1_html
    assert "This revision was superseded by a newer one and cannot be accepted." in rev1_html
    assert reverse("workflows:quote_decide", args=[quote.number]) not in rev1_html
    assert 'value="accept"' not in rev1_html

    # And revision 2's page shows the line-by-line difference from revision 1
    rev2_html = customer.get(reverse("quotes:revision", args=[quote.number, 2])).content.decode()
    assert "Changes since revision 1" in rev2_html
    assert '<span class="badge">changed</span>' in rev2_html
    assert "Quantity: 10.00 → 12.00<br>" in rev2_html
    assert "Amount: 2,400.00 USD → 2,880.00 USD<br>" in rev2_html
    assert "<tr><td>Subtotal</td><td>2,400.00 USD</td><td>2,880.00 USD</td></tr>" in rev2_html
    assert "<tr><td>Total</td><td>2,400.00 USD</td><td>2,880.00 USD</td></tr>" in rev2_html
    assert 'value="accept"' in rev2_html

    # When contact_a posts "accept" (the decision has no revision number: it is the current one)
    mail.outbox.clear()
    with deliver():
        decide(customer, quote, "accept", po_number="PO-12")

    # Then revision 2 is accepted, revision 1 keeps its status, and the process ends
    assert statuses(quote) == ["changes_requested", "accepted"]
    assert Acceptance.objects.get().revision == revision(quote, 2)
    assert not Acceptance.objects.filter(revision=revision(quote, 1)).exists()
    assert processes(quote) == [PROCESS.DONE]
    assert [m.subject for m in mail.outbox] == [
        f"{PREFIX}Quote {quote.number} rev 2: accepted by {world.contact_a.display_name}",
        f"{PREFIX}You accepted quote {quote.number} (revision 2)",
        f"{PREFIX}Quote {quote.number} (revision 2) was accepted by {world.contact_a.display_name}",
    ]


# --- 5. reject -------------------------------------------------------------------------------


def test_reject_needs_a_reason_and_ends_the_process(world, seat, as_user, deliver):
    rep, customer = as_user(world.rep_a), as_user(world.contact_a)
    quote = draft(rep, world.a, [line(seat)])
    with deliver():
        submit(rep, quote)
    mail.outbox.clear()

    # When contact_a rejects without a reason
    before = snapshot(quote)
    page = decide(customer, quote, "reject", comment="   ")

    # Then a message at the comment, and nothing changed
    assert page.status_code == 400
    assert field_errors(page, "comment") == ["Give a reason for rejecting the quote."]
    assert snapshot(quote) == before

    # When contact_a rejects with a reason
    with deliver():
        page = decide(customer, quote, "reject", comment="Too expensive")

    # Then the quote is rejected, the process done, the representative told
    assert ("success", "You rejected the quote. Your representative has been told.") in alerts(page)
    rev = revision(quote)
    assert (rev.status, rev.decided_by, rev.decision_comment) == (
        "rejected",
        world.contact_a,
        "Too expensive",
    )
    assert processes(quote) == [PROCESS.DONE]
    assert open_tasks(quote) == []
    told, contacts = mail.outbox
    assert told.to == [world.rep_a.email]
    assert told.subject == (
        f"{PREFIX}Quote {quote.number} rev 1: rejected by {world.contact_a.display_name}"
    )
    # and every billing contact of the account learns the quote was rejected, and why
    assert contacts.to == billing_contacts_of_a(world)
    assert contacts.subject == (
        f"{PREFIX}Quote {quote.number} (revision 1) was rejected by {world.contact_a.display_name}"
    )
    assert "Their words: Too expensive" in contacts.body
    assert actions(quote)[-1] == AuditAction.QUOTE_REJECTED
    assert Acceptance.objects.count() == 0


# --- 6. expiry -------------------------------------------------------------------------------

VALID_UNTIL = datetime.date(2026, 12, 10)
# The end of 10 December in New York: 2026-12-11 00:00 EST.
EXPIRES_AT = datetime.datetime(2026, 12, 11, 5, 0, tzinfo=datetime.UTC)
ONE_MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def expiring_quote(world, seat, as_user):
    """Sent on 20 November 2026, valid until 10 December 2026 (account a: America/New_York)."""
    with freeze_time("2026-11-20 15:00:00+00:00"):
        rep = as_user(world.rep_a)
        quote = draft(rep, world.a, [line(seat)], valid_until=VALID_UNTIL)
        submit(rep, quote)
    assert statuses(quote) == ["sent"]
    return quote


def test_still_valid_until_the_end_of_the_day_in_the_accounts_time_zone(
    world, expiring_quote, as_user
):
    quote = expiring_quote
    # At 04:59 UTC on 11 December it is 23:59 on the 10th in New York: the accept form is shown
    with freeze_time(EXPIRES_AT - ONE_MINUTE):
        page = as_user(world.contact_a).get(reverse("quotes:detail", args=[quote.number]))
        assert 'value="accept"' in page.content.decode()
    # At 05:00 UTC it is gone
    with freeze_time(EXPIRES_AT):
        page = as_user(world.contact_a).get(reverse("quotes:detail", args=[quote.number]))
        assert 'value="accept"' not in page.content.decode()


def test_accepting_one_minute_before_the_end_of_the_day_works(world, expiring_quote, as_user):
    with freeze_time(EXPIRES_AT - ONE_MINUTE):
        decide(as_user(world.contact_a), expiring_quote, "accept", po_number="PO-1")
    assert statuses(expiring_quote) == ["accepted"]
    assert processes(expiring_quote) == [PROCESS.DONE]


def test_accepting_after_the_validity_day_is_refused_as_expired(
    world, expiring_quote, as_user, deliver
):
    quote = expiring_quote
    mail.outbox.clear()

    # When contact_a accepts at 05:00 UTC on 11 December, before the cron job ran
    with freeze_time(EXPIRES_AT), deliver():
        response = decide(as_user(world.contact_a), quote, "accept", po_number="PO-1", follow=False)

    # Then a 409 page says it expired; nothing was accepted, and the quote was ended now
    assert response.status_code == 409
    assert (
        "This quote expired at the end of 10 December 2026 (America/New_York). Ask your "
        "representative to re-issue it." in html.unescape(response.content.decode())
    )
    assert Acceptance.objects.count() == 0
    assert AuditAction.QUOTE_ACCEPTED not in actions(quote)
    assert statuses(quote) == ["expired"]
    assert processes(quote) == [PROCESS.DONE]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([world.rep_a.email], f"{PREFIX}Quote {quote.number} rev 1 expired")
    ]


def test_the_command_expires_the_quote_and_accepting_then_is_refused(
    world, expiring_quote, as_user, deliver
):
    quote = expiring_quote
    # Given the hourly job ran at 05:00 UTC on 11 December
    with freeze_time(EXPIRES_AT), deliver():
        out = io.StringIO()
        call_command("expire_quotes", stdout=out)
    assert f"{quote.number} rev 1: expired" in out.getvalue()
    assert statuses(quote) == ["expired"]
    assert processes(quote) == [PROCESS.DONE]
    assert inbox(as_user(world.contact_a)) == []

    # When contact_a tries to accept
    before = snapshot(quote)
    with freeze_time(EXPIRES_AT + datetime.timedelta(hours=1)):
        customer = as_user(world.contact_a)
        response = decide(customer, quote, "accept", po_number="PO-1", follow=False)
        page = customer.get(reverse("quotes:detail", args=[quote.number])).content.decode()

    # Then it is refused with the same clear message, and nothing changed
    assert response.status_code == 409
    assert "This quote expired at the end of 10 December 2026 (America/New_York)." in html.unescape(
        response.content.decode()
    )
    assert snapshot(quote) == before
    assert (
        "This quote expired on 2026-12-10, end of day America/New_York and can no "
        "longer be accepted." in page
    )


# --- 7. re-issue -----------------------------------------------------------------------------


def test_reissue_after_rejection_starts_a_new_process(world, seat, as_user, deliver):
    rep, customer = as_user(world.rep_a), as_user(world.contact_a)
    quote = draft(rep, world.a, [line(seat)])
    with deliver():
        submit(rep, quote)
    decide(customer, quote, "reject", comment="Not this year")
    mail.outbox.clear()
    assert processes(quote) == [PROCESS.DONE]
    first_process = QuoteProcess.objects.get(quote=quote)

    # When the representative re-issues it as revision 2 and submits
    detail = rep.get(reverse("quotes:detail", args=[quote.number])).content.decode()
    assert "Re-issue as revision 2" in detail
    new_revision(rep, quote)
    assert statuses(quote) == ["rejected", "draft"]
    assert list(revision(quote, 2).lines.values_list("sku", "quantity")) == [
        ("OV-SEAT-STD", Decimal("10.00"))
    ]
    with deliver():
        submit(rep, quote)

    # Then a new process carries revision 2 to the customer
    assert statuses(quote) == ["rejected", "sent"]
    assert processes(quote) == [PROCESS.DONE, PROCESS.NEW]
    second_process = QuoteProcess.objects.filter(quote=quote).exclude(pk=first_process.pk).get()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (billing_contacts_of_a(world), sent_subject(quote, 2))
    ]
    assert inbox(customer) == [(DECIDE_LABEL, quote.number)]

    # When contact_a accepts
    decide(customer, quote, "accept", po_number="PO-2027")

    # Then revision 2 is accepted and the second process ends
    assert statuses(quote) == ["rejected", "accepted"]
    second_process.refresh_from_db()
    assert second_process.status == PROCESS.DONE
    assert Acceptance.objects.get().revision.number == 2
    assert AuditAction.QUOTE_REVISED in actions(quote)


def test_reissue_after_expiry_gets_a_new_validity_date_and_goes_round_again(
    world, expiring_quote, as_user, deliver
):
    quote = expiring_quote
    with freeze_time(EXPIRES_AT + datetime.timedelta(hours=1)):
        call_command("expire_quotes", stdout=io.StringIO())
        assert statuses(quote) == ["expired"]
        rep = as_user(world.rep_a)

        # When the representative re-issues it and submits
        new_revision(rep, quote)
        # The copy's validity date moved: 30 days from today in New York (11 December)
        assert revision(quote, 2).valid_until == datetime.date(2027, 1, 10)
        submit(rep, quote)

        # Then a new process sends revision 2, and accepting it works
        assert statuses(quote) == ["expired", "sent"]
        assert processes(quote) == [PROCESS.DONE, PROCESS.NEW]
        decide(as_user(world.contact_a), quote, "accept", po_number="PO-9")
    assert statuses(quote) == ["expired", "accepted"]
    assert processes(quote) == [PROCESS.DONE, PROCESS.DONE]


# --- 8. what an earlier approval still covers (issue 11: smart re-approval) ------------------


@pytest.fixture
def approved_then_changes_requested(world, seat, as_user):
    """20 % discount approved by deal desk, sent, then the customer asked for changes and the
    representative started revision 2 (a draft copy; the approval stays on revision 1)."""
    rep = as_user(world.rep_a)
    quote = draft(rep, world.a, [line(seat, quantity="10", unit_price="240.00", discount="20")])
    submit(rep, quote)
    review(as_user(world.deal_desk), quote, "approve", comment="OK for 20 %")
    decide(as_user(world.contact_a), quote, "request_changes", comment="Add a note please")
    new_revision(rep, quote)
    assert revision(quote, 2).status == "draft"
    return quote


# Edits that exceed what deal desk approved, or change the deal's terms: asked again.
NEEDS_APPROVAL_AGAIN = {
    "discount_up": ({"discount": "22"}, {}),
    "unit_price_below_list": ({"unit_price": "230.00"}, {}),
    "term": ({}, {"term_months": 24}),
    "frequency": ({"unit_price": "240.00"}, {"frequency": "monthly"}),
}
# Edits that leave every approved value as it was or better for the vendor: carried over.
STILL_COVERED = {
    "discount_down": ({"discount": "18"}, {}),
    "quantity": ({"quantity": "11"}, {}),
}


@pytest.mark.parametrize("change", NEEDS_APPROVAL_AGAIN, ids=list(NEEDS_APPROVAL_AGAIN))
def test_an_edit_beyond_the_approval_asks_deal_desk_again(
    world, seat, as_user, approved_then_changes_requested, change
):
    quote = approved_then_changes_requested
    rep = as_user(world.rep_a)
    line_change, header_change = NEEDS_APPROVAL_AGAIN[change]

    # When the representative changes the {change} of revision 2 and submits it
    values = {"quantity": "10", "unit_price": "240.00", "discount": "20", **line_change}
    edit(rep, quote, [line(seat, **values)], **header_change)
    submit(rep, quote)

    # Then it goes to deal desk again
    assert statuses(quote) == ["changes_requested", "pending_approval"]
    assert inbox(as_user(world.deal_desk)) == [(REVIEW_LABEL, quote.number)]
    assert AuditAction.QUOTE_APPROVAL_CARRIED not in actions(quote)


@pytest.mark.parametrize("change", STILL_COVERED, ids=list(STILL_COVERED))
def test_an_edit_within_the_approval_keeps_it(
    world, seat, as_user, approved_then_changes_requested, change
):
    quote = approved_then_changes_requested
    rep = as_user(world.rep_a)
    line_change, header_change = STILL_COVERED[change]

    # When the representative changes the {change} of revision 2 and submits it
    values = {"quantity": "10", "unit_price": "240.00", "discount": "20", **line_change}
    edit(rep, quote, [line(seat, **values)], **header_change)
    submit(rep, quote)

    # Then the approval of revision 1 carries over and the customer has it at once
    assert statuses(quote) == ["changes_requested", "sent"]
    assert inbox(as_user(world.deal_desk)) == []
    assert AuditAction.QUOTE_APPROVAL_CARRIED in actions(quote)


def test_changing_only_the_notes_keeps_the_approval(
    world, seat, as_user, approved_then_changes_requested, deliver
):
    quote = approved_then_changes_requested
    rep = as_user(world.rep_a)

    # When the representative changes only the notes of revision 2
    edit(
        rep,
        quote,
        [line(seat, quantity="10", unit_price="240.00", discount="20")],
        notes="Includes onboarding.",
    )

    # Then submitting sends it straight to the customer: the approval carried over
    mail.outbox.clear()
    with deliver():
        submit(rep, quote)
    assert statuses(quote) == ["changes_requested", "sent"]
    assert [m.subject for m in mail.outbox] == [sent_subject(quote, 2)]
    assert inbox(as_user(world.deal_desk)) == []
    assert actions(quote).count(AuditAction.QUOTE_APPROVAL_REQUIRED) == 1


# --- 9. the right is checked again when the task is executed ---------------------------------


def test_removed_billing_contact_cannot_finish_the_task(world, seat, as_user):
    rep = as_user(world.rep_a)
    quote = draft(rep, world.a, [line(seat)])
    submit(rep, quote)
    # Given contact_a2 was offered the decision and signed in
    old_session = as_user(world.contact_a2)
    assert inbox(old_session) == [(DECIDE_LABEL, quote.number)]

    # When their billing-contact membership is removed
    contact_services.membership_remove(
        membership=Membership.objects.get(account=world.a, user=world.contact_a2)
    )
    before = snapshot(quote)

    # Then their open session ends: the POST goes to sign-in, and nothing changed
    response = decide(old_session, quote, "accept", po_number="PO-1", follow=False)
    assert response.status_code == 302
    assert "login" in response["Location"]
    # And signed in afresh, the quote does not exist for them
    world.contact_a2.refresh_from_db()
    fresh = decide(as_user(world.contact_a2), quote, "accept", po_number="PO-1", follow=False)
    assert fresh.status_code == 404
    # And the service refuses at execution, even when called directly
    with pytest.raises(PermissionDenied):
        flow_services.quote_accept(quote=quote, actor=world.contact_a2, new_po=pb.new_po("PO-1"))
    assert snapshot(quote) == before
    assert statuses(quote) == ["sent"]

    # And the task is still open for contact_a, who can finish it
    assert open_tasks(quote) == ["customer_decision"]
    customer = as_user(world.contact_a)
    assert inbox(customer) == [(DECIDE_LABEL, quote.number)]
    decide(customer, quote, "accept", po_number="PO-1")
    assert statuses(quote) == ["accepted"]


def test_a_task_assigned_to_a_removed_contact_is_refused_to_them(world, seat, as_user):
    """Even holding the task (viewflow's owner), a revoked contact cannot execute it."""
    quote = quote_builders.sent_quote(world.a, world.rep_a)
    task = Task.objects.get(process__quoteprocess__quote=quote, status=STATUS.NEW)
    activation = task.flow_task.activation_class(task)
    activation.assign(world.contact_a2)
    contact_services.membership_remove(
        membership=Membership.objects.get(account=world.a, user=world.contact_a2)
    )
    before = snapshot(quote)
    with pytest.raises(PermissionDenied):
        flow_services.quote_decline(
            quote=quote, actor=world.contact_a2, action=Action.REJECT, comment="no"
        )
    assert snapshot(quote) == before
    task.refresh_from_db()
    assert (task.flow_task, task.status, task.owner) == (
        QuoteFlow.customer_decision,
        STATUS.ASSIGNED,
        world.contact_a2,
    )


# --- 10. people without the right cannot act -------------------------------------------------


def _draft(world, seat):
    return quote_builders.draft_quote(world.a, world.rep_a, [quote_builders.line(seat)])


def _pending(world, seat):
    return quote_builders.pending_approval_quote(world.a, world.rep_a)


def _sent(world, seat):
    return quote_builders.sent_quote(world.a, world.rep_a)


def _post_submit(client, quote):
    return client.post(reverse("workflows:quote_submit", args=[quote.number]))


def _post_review(client, quote):
    return client.post(
        reverse("workflows:quote_review", args=[quote.number]),
        {"decision": "approve", "comment": ""},
    )


def _post_decide(client, quote):
    return client.post(
        reverse("workflows:quote_decide", args=[quote.number]),
        {"decision": "accept", "comment": "", **pb.new_po_fields("PO-1")},
    )


def _post_review_invalid(client, quote):
    return client.post(
        reverse("workflows:quote_review", args=[quote.number]), {"decision": "send_back"}
    )


def _post_decide_invalid(client, quote):
    return client.post(
        reverse("workflows:quote_decide", args=[quote.number]), {"decision": "reject"}
    )


CASES = [
    # (who, quote in the state the action needs, action)
    ("member_a", _draft, _post_submit),
    ("member_a", _pending, _post_review),
    ("member_a", _pending, _post_review_invalid),
    ("member_a", _sent, _post_decide),
    ("member_a", _sent, _post_decide_invalid),
    ("rep_b", _draft, _post_submit),
    ("rep_b", _pending, _post_review),
    ("rep_b", _pending, _post_review_invalid),
    ("rep_b", _sent, _post_decide),
    ("rep_b", _sent, _post_decide_invalid),
    ("contact_b", _sent, _post_decide),
    # Visible to them, but not theirs to do
    ("contact_a", _sent, _post_submit),
    ("rep_a", _pending, _post_review),
    ("rep_a", _sent, _post_decide),
    ("deal_desk", _sent, _post_decide),
    ("deal_desk", _draft, _post_submit),
    ("finance", _pending, _post_review),
]


@pytest.mark.parametrize(
    ("who", "state", "action"),
    CASES,
    ids=[f"{who}-{action.__name__[6:]}-{state.__name__[1:]}" for who, state, action in CASES],
)
def test_people_without_the_right_get_404_and_nothing_changes(
    world, seat, as_user, deliver, who, state, action
):
    quote = state(world, seat)
    mail.outbox.clear()
    before = snapshot(quote)
    with deliver():
        response = action(as_user(world.user(who)), quote)
    assert response.status_code == 404
    assert snapshot(quote) == before
    assert mail.outbox == []


# --- edges found while writing these tests --------------------------------------------------


@pytest.mark.parametrize(
    ("next_discount", "next_status"),
    [("0", "draft"), ("20", "pending_approval")],
    ids=["next-revision-draft", "next-revision-pending-approval"],
)
def test_deciding_while_the_next_revision_is_prepared_names_no_internal_state(
    world, seat, as_user, next_discount, next_status
):
    """While the representative prepares revision 2 (a draft, or waiting for deal desk), a
    customer's decision is refused with a message that names neither state: customers never see
    drafts or the vendor's internal approval."""
    rep, customer = as_user(world.rep_a), as_user(world.contact_a)
    quote = draft(rep, world.a, [line(seat)])
    submit(rep, quote)
    decide(customer, quote, "request_changes", comment="Cheaper please")
    new_revision(rep, quote)
    edit(rep, quote, [line(seat, discount=next_discount)])
    if next_status == "pending_approval":
        submit(rep, quote)
    assert statuses(quote) == ["changes_requested", next_status]

    before = snapshot(quote)
    response = decide(customer, quote, "accept", po_number="PO-1", follow=False)

    assert response.status_code == 409
    (message,) = re.findall(r'<p class="alert warning">(.*?)</p>', response.content.decode())
    assert html.unescape(message) == (
        "Your representative is preparing a new revision of this quote; nothing was changed. "
        "You will be e-mailed when it is ready."
    ), "a customer must not be told 'This quote was already draft / pending internal approval'"
    assert snapshot(quote) == before


def test_deal_desk_cannot_approve_after_the_validity_date(world, seat, as_user, deliver):
    """A revision still waiting for deal desk when its validity date ends cannot be approved:
    it would e-mail the customer a quote they can never accept. Deal desk sends it back, the
    representative sets a later date, and it goes round again."""
    with freeze_time("2026-12-10 15:00:00+00:00"):
        quote = draft(
            as_user(world.rep_a), world.a, [line(seat, discount="20")], valid_until=VALID_UNTIL
        )
        submit(as_user(world.rep_a), quote)
    assert statuses(quote) == ["pending_approval"]

    with freeze_time("2026-12-12 15:00:00+00:00"):
        desk, rep = as_user(world.deal_desk), as_user(world.rep_a)

        # When deal desk approves on 12 December, after the end of 10 December in New York
        mail.outbox.clear()
        before = snapshot(quote)
        with deliver():
            page = review(desk, quote, "approve")

        # Then a message says why, nothing changed, and the customer was not e-mailed
        assert form_refusals(page) == [
            "Its validity date (10 December 2026) has passed, so approving would send the "
            "customer a quote they cannot accept. Send it back for a later date."
        ], "approving an expired revision must be refused, not sent to the customer"
        assert snapshot(quote) == before
        assert mail.outbox == []
        assert inbox(desk) == [(REVIEW_LABEL, quote.number)]

        # When deal desk sends it back and the representative sets a later date
        review(desk, quote, "send_back", comment="Validity passed: set a new date")
        edit(
            rep,
            quote,
            [line(seat, discount="20")],
            valid_until=datetime.date(2027, 1, 11),
        )
        submit(rep, quote)
        assert statuses(quote) == ["pending_approval"]
        with deliver():
            review(desk, quote, "approve")

    # Then it is sent with the new date
    assert statuses(quote) == ["sent"]
    assert revision(quote).valid_until == datetime.date(2027, 1, 11)
    assert [m.subject for m in mail.outbox] == [
        sent_subject(quote),
        f"{PREFIX}Quote {quote.number} rev 1 was approved by deal desk and sent to the customer",
    ]
