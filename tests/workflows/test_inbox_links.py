"""Every row of "My tasks" links to the page where the task is done, whatever its flow."""

from django.urls import resolve, reverse

from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb
from workflows import selectors
from workflows import services as flow_services


def test_each_kind_of_task_links_to_its_object_s_page(world, rf):
    quote = qb.sent_quote(world.a, world.rep_a)
    po = pb.purchase_order(world.a, world.contact_a, "PO-LINK")
    flow_services.po_change_propose(
        purchase_order=po,
        actor=world.contact_a,
        base_version=1,
        number=po.number,
        amount=po.amount + 1,
        valid_from=po.valid_from,
        valid_to=po.valid_to,
        reason="More budget",
    )
    change = flow_services.contact_change_propose(
        account=world.a,
        actor=world.contact_a,
        password=factories.PASSWORD,
        kind="add",
        first_name="Link",
        email="link@mail.example",
        login_id="link.contact",
    )
    request = rf.get(reverse("workflows:inbox"))

    # The customer is asked to decide on the quote: its page
    (row,) = selectors.inbox(user=world.contact_a, request=request).rows
    assert row["link"] == reverse("quotes:detail", args=[quote.number])
    # The representative reviews the PO change (its PO's page) and confirms the contact change
    # (the account's page, at the change)
    links = {r["label"]: r["link"] for r in selectors.inbox(user=world.rep_a, request=request)}
    po_link = links["Approve or reject the PO change"]
    assert po_link == reverse("purchase_orders:detail", args=[po.pk])
    contact_link = links["Confirm or decline contact change"]
    page, anchor = contact_link.split("#")
    assert page == reverse("contacts:account_home", args=[world.a.number])
    assert anchor == f"contact-change-{change.pk}"
    for link in (row["link"], po_link, page):
        resolve(link)  # a real page


def test_finance_and_second_acceptance_tasks_link_to_the_quote(world, rf):
    # Given one quote waiting for finance and one for a second billing contact (issue 11)
    for_finance = qb.pending_finance_quote(world.a, world.rep_a, world.deal_desk)
    first = factories.billing_contact(world.b)
    for_second = qb.awaiting_second_quote(world.b, world.rep_b, first)
    request = rf.get(reverse("workflows:inbox"))

    # Then finance has its approval task, linking to the quote's page
    rows = selectors.inbox(user=world.finance, request=request).rows
    assert [(r["label"], r["link"]) for r in rows] == [
        (
            "Approve or send back (finance)",
            reverse("quotes:detail", args=[for_finance.number]),
        )
    ]
    # And the account's other billing contact has the second acceptance; the first has nothing
    rows = selectors.inbox(user=world.contact_b, request=request).rows
    assert [(r["label"], r["link"]) for r in rows] == [
        (
            "Give the second acceptance or reject",
            reverse("quotes:detail", args=[for_second.number]),
        )
    ]
    assert selectors.inbox(user=first, request=request).rows == []
    # And deal desk has nothing of either
    assert selectors.inbox(user=world.deal_desk, request=request).rows == []
