""" "My tasks", page after page, forwards and back, is exactly the open tasks the person may do.

The inbox is read by one SQL statement on PostgreSQL and through the ORM on SQLite; CI runs this
file on both. The expected rows here come from neither: every open task, kept when the person
holds its right on its process's account (``contacts.permissions``), sorted in Python.
"""

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from contacts import permissions
from corp_billing.paging import PAGE_SIZE
from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb
from tests.quotes.test_query_counts import copy_quotes_with_tasks
from workflows import selectors
from workflows import services as flow_services
from workflows.tasks import OPEN


def expected_inbox(user) -> list[tuple[int, str]]:
    """(task id, label) of every open task ``user`` may act on, oldest first."""
    rights = {node: codename for node, codename, _ in selectors.TASKS}
    rows = []
    for task in Task.objects.filter(status__in=OPEN).order_by("created", "id"):
        if task.flow_task not in rights:
            continue
        process = selectors.PROCESSES[task.flow_task.flow_class].objects.get(pk=task.process_id)
        if permissions.has_account_permission(user, rights[task.flow_task], process.account):
            rows.append((task.pk, selectors.LABELS[task.flow_task]))
    return rows


def pages(client, *, backwards_from_end: bool = False) -> list[list[tuple[int, str]]]:
    """Every page of the inbox following "Next", then (optionally) back following
    "Previous" from the last page; each page as (task id, label) rows."""
    url = reverse("workflows:inbox")
    seen = []
    response = client.get(url)
    while True:
        page = response.context["page"]
        seen.append([(row["id"], row["label"]) for row in page])
        if not page.next_url:
            break
        response = client.get(url + page.next_url)
    if backwards_from_end:
        back = [seen[-1]]
        while response.context["page"].previous_url:
            response = client.get(url + response.context["page"].previous_url)
            back.append([(row["id"], row["label"]) for row in response.context["page"]])
        return back
    return seen


@pytest.fixture
def busy(world):
    """Tasks of every kind on two accounts: quotes waiting for deal desk, for the customer and
    sent back to the representative (120 of them waiting for the customer), a PO change and a
    contact change, on account A; a quote waiting for deal desk on account B."""
    for_deal_desk = qb.pending_approval_quote(world.a, world.rep_a)
    sent = qb.sent_quote(world.a, world.rep_a)
    sent_back = qb.pending_approval_quote(world.a, world.rep_a)
    flow_services.quote_send_back(quote=sent_back, actor=world.deal_desk, comment="Too deep")
    qb.pending_approval_quote(world.b, world.rep_b)
    copy_quotes_with_tasks([sent], 120)
    copy_quotes_with_tasks([for_deal_desk], 60)
    po = pb.purchase_order(world.a, world.contact_a, "PO-PAGES")
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
    flow_services.contact_change_propose(
        account=world.a,
        actor=world.contact_a,
        password=factories.PASSWORD,
        kind="add",
        first_name="Page",
        email="page@mail.example",
        login_id="page.contact",
    )
    return world


@pytest.mark.parametrize("role", ["contact_a", "rep_a", "rep_b", "deal_desk", "finance"])
def test_every_page_of_the_inbox_is_exactly_what_the_person_may_do(busy, login, role):
    user = busy.user(role)
    client = login(user)
    expected = expected_inbox(user)

    forwards = pages(client)
    backwards = pages(client, backwards_from_end=True)

    # Every page but the last is full, and together they are the expected tasks in order
    assert [row for page in forwards for row in page] == expected
    assert all(len(page) == PAGE_SIZE for page in forwards[:-1])
    # Going back from the last page shows the same pages in reverse
    assert backwards == list(reversed(forwards))


def test_the_representative_s_inbox_mixes_every_kind_of_task_in_waiting_order(busy, login):
    client = login(busy.rep_a)
    labels = {label for page in pages(client) for _, label in page}
    assert labels == {
        "Revise and resubmit",
        "Approve or reject the PO change",
        "Confirm or decline contact change",
    }
