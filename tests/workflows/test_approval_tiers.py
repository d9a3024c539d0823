"""Issue 11, vendor side: approval tiers and smart re-approval, through the portal's pages.

Rules (migrations 0002 and 0007): deal desk approves any line discount over 15 %, a whole-quote
discount over 10 % and a total over 100,000; finance approves any line discount over 30 % and a
total over 500,000. Tiers approve in order, deal desk then finance, each only for rules of theirs
that fired and that no earlier approval still covers. The rules that fired are frozen on the
revision when it is submitted.
"""

import html

import pytest
from django.core import mail
from django.urls import reverse
from viewflow.workflow.status import PROCESS

from audit.models import AuditAction, AuditEvent
from quotes.models import ApprovalRule, ApprovalTier, RuleCheck
from tests.workflows.test_quote_flow import (
    PREFIX,
    REVIEW_LABEL,
    REVISE_LABEL,
    actions,
    alerts,
    as_user,  # noqa: F401  (fixture)
    decide,
    deliver,  # noqa: F401  (fixture)
    draft,
    edit,
    inbox,
    line,
    new_revision,
    open_tasks,
    processes,
    review,
    revision,
    seat,  # noqa: F401  (fixture)
    sent_subject,
    snapshot,
    statuses,
    submit,
)

FINANCE_LABEL = "Approve or send back (finance)"


def finance_review(client, quote, decision, comment=""):
    return client.post(
        reverse("workflows:quote_finance_review", args=[quote.number]),
        {"decision": decision, "comment": comment},
        follow=True,
    )


def page(client, quote) -> str:
    response = client.get(reverse("quotes:detail", args=[quote.number]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def checks(quote, number=None) -> list[tuple[str, str, str, bool]]:
    """(rule, tier, measured, carried over) of the checks frozen on a revision."""
    return [
        (c.rule_name, c.tier, f"{c.measured:.2f}", c.is_carried_over)
        for c in RuleCheck.objects.filter(revision=revision(quote, number)).order_by("id")
    ]


@pytest.fixture
def approved_at_15_then_changes_requested(world, seat, as_user):
    """Revision 1 with a 15 % discount (the whole-quote rule fires at 15 % > 10 %, the line rule
    does not: 15 % is not over 15 %), approved by deal desk, sent; the customer asked for changes
    and the representative started revision 2."""
    rep = as_user(world.rep_a)
    quote = draft(rep, world.a, [line(seat, discount="15", description="Seats")])
    submit(rep, quote)
    assert statuses(quote) == ["pending_approval"]
    review(as_user(world.deal_desk), quote, "approve", comment="15 % is fine")
    decide(as_user(world.contact_a), quote, "request_changes", comment="Reword line 1")
    new_revision(rep, quote)
    return quote


# --- smart re-approval: the three cases the issue names ----------------------------------------


def test_changing_only_a_description_needs_no_approval_task(
    world, seat, as_user, approved_at_15_then_changes_requested, deliver
):
    quote = approved_at_15_then_changes_requested
    rep = as_user(world.rep_a)

    # When the representative changes only the line's description and submits revision 2
    edit(rep, quote, [line(seat, discount="15", description="Seats, incl. onboarding")])
    mail.outbox.clear()
    with deliver():
        submit(rep, quote)

    # Then no approval task is made: it goes straight to the customer
    assert statuses(quote) == ["changes_requested", "sent"]
    assert open_tasks(quote) == ["customer_decision"]
    assert inbox(as_user(world.deal_desk)) == []
    assert inbox(as_user(world.finance)) == []
    assert [m.subject for m in mail.outbox] == [sent_subject(quote, 2)]
    # And revision 2 records the carried approval, which the page explains to staff
    assert checks(quote, 2) == [("Whole-quote discount over 10%", "deal_desk", "15.00", True)]
    text = page(as_user(world.rep_a), quote)
    assert "Carried over" in text
    assert (
        f"{world.deal_desk.display_name} (deal desk) approved 15.00% on revision 1; it is "
        "15.00% now, unchanged." in text
    )
    carried = AuditEvent.objects.get(action=AuditAction.QUOTE_APPROVAL_CARRIED)
    assert carried.after["rules"] == [
        f"Whole-quote discount over 10%: {world.deal_desk.display_name} (deal desk) approved "
        "15.00% on revision 1; it is 15.00% now, unchanged."
    ]
    # And the customer never sees the vendor's approval rules
    assert "Approval rules that fired" not in page(as_user(world.contact_a), quote)


def test_raising_the_discount_from_15_to_22_asks_only_deal_desk(
    world, seat, as_user, approved_at_15_then_changes_requested, deliver
):
    quote = approved_at_15_then_changes_requested
    rep, desk, finance = as_user(world.rep_a), as_user(world.deal_desk), as_user(world.finance)

    # When the representative raises the discount to 22 % and submits revision 2
    edit(rep, quote, [line(seat, discount="22", description="Seats")])
    mail.outbox.clear()
    with deliver():
        submit(rep, quote)

    # Then only deal desk is asked: the line rule is newly crossed, the whole-quote rule by more
    assert statuses(quote) == ["changes_requested", "pending_approval"]
    assert inbox(desk) == [(REVIEW_LABEL, quote.number)]
    assert inbox(finance) == []
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([world.deal_desk.email], f"{PREFIX}Approval needed: quote {quote.number} rev 2")
    ]
    assert "22.00% discount: 7.00 points over the 15.00% limit" in mail.outbox[0].body
    assert checks(quote, 2) == [
        ("Line discount over 15%", "deal_desk", "22.00", False),
        ("Whole-quote discount over 10%", "deal_desk", "22.00", False),
    ]
    # And deal desk sees which of their rules fired and by how much
    text = page(desk, quote)
    assert "Your rules that fired:" in text
    assert "The whole quote is discounted 22.00%: 12.00 points over the 10.00% limit." in text
    # And why the earlier approval of 15 % no longer covers the whole-quote rule
    assert "Approved 15.00% on revision 1, but it is 22.00% now, higher: asked again." in text

    # When deal desk approves
    with deliver():
        response = review(desk, quote, "approve")

    # Then it is sent: finance was never involved
    assert ("success", "Approved: the quote was sent to the customer.") in alerts(response)
    assert statuses(quote) == ["changes_requested", "sent"]
    assert inbox(finance) == []
    assert AuditAction.QUOTE_FINANCE_APPROVED not in actions(quote)


def test_raising_the_discount_over_30_asks_deal_desk_then_finance(
    world, seat, as_user, approved_at_15_then_changes_requested, deliver
):
    quote = approved_at_15_then_changes_requested
    rep, desk, finance = as_user(world.rep_a), as_user(world.deal_desk), as_user(world.finance)

    # When the representative raises the discount to 35 % and submits revision 2
    edit(rep, quote, [line(seat, discount="35", description="Seats")])
    submit(rep, quote)

    # Then deal desk is asked first; finance has nothing yet
    assert statuses(quote) == ["changes_requested", "pending_approval"]
    assert inbox(desk) == [(REVIEW_LABEL, quote.number)]
    assert inbox(finance) == []
    assert checks(quote, 2) == [
        ("Line discount over 15%", "deal_desk", "35.00", False),
        ("Line discount over 30% (finance)", "finance", "35.00", False),
        ("Whole-quote discount over 10%", "deal_desk", "35.00", False),
    ]
    # And finance cannot jump the queue: their step is not open (409), nothing changes
    before = snapshot(quote)
    early = as_user(world.finance).post(
        reverse("workflows:quote_finance_review", args=[quote.number]),
        {"decision": "approve", "comment": ""},
    )
    assert early.status_code == 409
    assert "no longer waiting for finance" in html.unescape(early.content.decode())
    assert snapshot(quote) == before

    # When deal desk approves
    mail.outbox.clear()
    with deliver():
        response = review(desk, quote, "approve", comment="OK from deal desk")

    # Then finance is asked next, by mail and in their task list, and told which rule fired
    assert (
        "success",
        "Approved: finance approves next, then the quote goes to the customer.",
    ) in alerts(response)
    assert statuses(quote) == ["changes_requested", "pending_finance"]
    assert inbox(desk) == []
    assert inbox(finance) == [(FINANCE_LABEL, quote.number)]
    assert open_tasks(quote) == ["finance_review"]
    (needed,) = [m for m in mail.outbox if m.to == [world.finance.email]]
    # (and the representative learns that deal desk approved and finance is next)
    (told,) = [m for m in mail.outbox if m.to == [world.rep_a.email]]
    assert "approved by deal desk and now waits for finance" in told.subject
    assert (needed.to, needed.subject) == (
        [world.finance.email],
        f"{PREFIX}Finance approval needed: quote {quote.number} rev 2",
    )
    assert "Line discount over 30% (finance)" in needed.body
    assert "35.00% discount: 5.00 points over the 30.00% limit" in needed.body
    text = page(finance, quote)
    assert "Your rules that fired:" in text
    assert "Line 1 (OpenVoice Standard seat) has a 35.00% discount: 5.00 points over the " in text
    assert f"Approved by {world.deal_desk.display_name}" in text
    # And the customer cannot act on it yet, and is told only what it means
    early = decide(as_user(world.contact_a), quote, "accept", po_number="PO-EARLY")
    assert early.status_code == 409
    assert "Your representative is preparing a new revision" in html.unescape(
        early.content.decode()
    )
    assert statuses(quote) == ["changes_requested", "pending_finance"]

    # When finance approves
    mail.outbox.clear()
    with deliver():
        response = finance_review(finance, quote, "approve", comment="OK from finance")

    # Then the quote goes to the customer, and the audit has both tiers
    assert ("success", "Approved: the quote was sent to the customer.") in alerts(response)
    assert statuses(quote) == ["changes_requested", "sent"]
    assert [m.subject for m in mail.outbox] == [
        sent_subject(quote, 2),
        f"{PREFIX}Quote {quote.number} rev 2 was approved by finance and sent to the customer",
    ]
    assert revision(quote).sent_by == world.rep_a
    assert actions(quote)[-4:] == [
        AuditAction.QUOTE_APPROVED,
        AuditAction.QUOTE_APPROVAL_REQUIRED,
        AuditAction.QUOTE_FINANCE_APPROVED,
        AuditAction.QUOTE_SENT,
    ]
    finance_event = AuditEvent.objects.get(action=AuditAction.QUOTE_FINANCE_APPROVED)
    assert finance_event.actor == world.finance
    assert finance_event.after == {
        "comment": "OK from finance",
        "rules": ["Line discount over 30% (finance): 35.00%"],
    }
    assert all(check[3] is False for check in checks(quote, 2))
    assert (
        RuleCheck.objects.filter(revision=revision(quote), approved_by=world.finance).count() == 1
    )


# --- sending back at any tier returns the quote to the representative ------------------------


def test_finance_sends_back_to_the_representative_and_deal_desk_approval_still_counts(
    world, seat, as_user, deliver
):
    rep, desk, finance = as_user(world.rep_a), as_user(world.deal_desk), as_user(world.finance)
    quote = draft(rep, world.a, [line(seat, discount="35")])
    submit(rep, quote)
    review(desk, quote, "approve")
    assert statuses(quote) == ["pending_finance"]

    # When finance sends it back without a comment, nothing changes
    before = snapshot(quote)
    response = finance_review(finance, quote, "send_back")
    # (the page again, the error at the comment, as at deal desk's step)
    assert response.status_code == 400
    assert "Say what must change before the quote can be approved." in response.content.decode()
    assert snapshot(quote) == before

    # When finance sends it back with a comment
    mail.outbox.clear()
    with deliver():
        response = finance_review(finance, quote, "send_back", comment="30 % at most")

    # Then the representative has the draft back, told by whom and why
    assert ("success", "Sent back.") in alerts(response)
    assert statuses(quote) == ["draft"]
    assert inbox(rep) == [(REVISE_LABEL, quote.number)]
    assert inbox(finance) == [] and inbox(desk) == []
    assert "Sent back by finance: 30 % at most" in page(rep, quote).replace("<strong>", "").replace(
        "</strong>", ""
    )
    (back,) = mail.outbox
    assert back.subject == f"{PREFIX}Quote {quote.number} was sent back by finance"
    assert back.body.startswith("Finance sent quote")

    # When the representative lowers the discount to 25 % and resubmits
    edit(rep, quote, [line(seat, discount="25")])
    submit(rep, quote)

    # Then deal desk's approval of 35 % still covers 25 %, finance's rule no longer fires:
    # nobody is asked again and the quote goes out, in the same process
    assert statuses(quote) == ["sent"]
    assert checks(quote) == [
        ("Line discount over 15%", "deal_desk", "25.00", True),
        ("Whole-quote discount over 10%", "deal_desk", "25.00", True),
    ]
    assert processes(quote) == [PROCESS.NEW]
    assert open_tasks(quote) == ["customer_decision"]


def test_deal_desk_send_back_at_the_first_tier_skips_finance(world, seat, as_user):
    rep, desk, finance = as_user(world.rep_a), as_user(world.deal_desk), as_user(world.finance)
    quote = draft(rep, world.a, [line(seat, discount="35")])
    submit(rep, quote)

    # When deal desk sends it back
    review(desk, quote, "send_back", comment="Too deep")

    # Then it is the representative's again; finance was never asked
    assert statuses(quote) == ["draft"]
    assert inbox(rep) == [(REVISE_LABEL, quote.number)]
    assert inbox(finance) == []
    assert "Sent back by deal desk:</strong> Too deep" in page(rep, quote)


# --- rules are frozen at submission -----------------------------------------------------------


def test_editing_a_rule_in_review_does_not_change_who_approves(world, seat, as_user):
    rep, desk, finance = as_user(world.rep_a), as_user(world.deal_desk), as_user(world.finance)
    quote = draft(rep, world.a, [line(seat, discount="20")])
    submit(rep, quote)
    assert statuses(quote) == ["pending_approval"]

    # When an administrator moves the 15 % line rule to finance and lowers it, while the quote
    # is in review
    rule = ApprovalRule.objects.get(kind="line_discount", threshold=15)
    rule.tier, rule.threshold, rule.name = ApprovalTier.FINANCE, 5, "Any discount (finance)"
    rule.save()

    # Then the frozen checks still say deal desk, 15 %; deal desk's approval sends the quote
    assert checks(quote)[0] == ("Line discount over 15%", "deal_desk", "20.00", False)
    assert "Line discount over 15%" in page(desk, quote)
    review(desk, quote, "approve")
    assert statuses(quote) == ["sent"]
    assert inbox(finance) == []


def test_only_finance_is_asked_when_only_a_finance_rule_is_new(
    world, seat, as_user, approved_at_15_then_changes_requested
):
    quote = approved_at_15_then_changes_requested
    rep, desk, finance = as_user(world.rep_a), as_user(world.deal_desk), as_user(world.finance)

    # Given finance tightened its line rule to "over 12 %" after revision 1 was approved
    ApprovalRule.objects.filter(kind="line_discount", tier=ApprovalTier.FINANCE).update(
        threshold=12, name="Line discount over 12% (finance)"
    )

    # When revision 2 is submitted with the same 15 % discount
    edit(rep, quote, [line(seat, discount="15", description="Seats")])
    submit(rep, quote)

    # Then deal desk's approval of 15 % carries over and only finance is asked, directly
    assert statuses(quote) == ["changes_requested", "pending_finance"]
    assert checks(quote, 2) == [
        ("Line discount over 12% (finance)", "finance", "15.00", False),
        ("Whole-quote discount over 10%", "deal_desk", "15.00", True),
    ]
    assert inbox(desk) == []
    assert inbox(finance) == [(FINANCE_LABEL, quote.number)]
    finance_review(finance, quote, "approve")
    assert statuses(quote) == ["changes_requested", "sent"]


# --- who may act -------------------------------------------------------------------------------


def test_deal_desk_cannot_use_finance_review_and_finance_cannot_use_deal_desk_review(
    world, seat, as_user
):
    rep = as_user(world.rep_a)
    quote = draft(rep, world.a, [line(seat, discount="35")])
    submit(rep, quote)
    review(as_user(world.deal_desk), quote, "approve")
    before = snapshot(quote)

    # When deal desk posts to finance's step, and finance to deal desk's
    by_desk = as_user(world.deal_desk).post(
        reverse("workflows:quote_finance_review", args=[quote.number]), {"decision": "approve"}
    )
    by_finance = as_user(world.finance).post(
        reverse("workflows:quote_review", args=[quote.number]), {"decision": "approve"}
    )

    # Then both are the 404 of a missing quote, and nothing changed
    assert (by_desk.status_code, by_finance.status_code) == (404, 404)
    assert snapshot(quote) == before


def test_a_second_finance_approval_of_the_same_step_is_a_409(world, seat, as_user):
    rep = as_user(world.rep_a)
    quote = draft(rep, world.a, [line(seat, discount="35")])
    submit(rep, quote)
    review(as_user(world.deal_desk), quote, "approve")
    finance_review(as_user(world.finance), quote, "approve")
    before = snapshot(quote)

    # When finance posts the approval again (a double click, a second tab)
    again = as_user(world.finance).post(
        reverse("workflows:quote_finance_review", args=[quote.number]),
        {"decision": "approve", "comment": ""},
    )

    # Then it is a clear 409 and nothing moved
    assert again.status_code == 409
    assert "no longer waiting for finance" in html.unescape(again.content.decode())
    assert snapshot(quote) == before
