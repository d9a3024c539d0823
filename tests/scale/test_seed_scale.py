"""The scale seed's rows behave like the product's own: its open tasks can be carried out
through the workflow services and its grants pass the real permission checks."""

import pytest
from django.core.management import call_command
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contacts import permissions
from contacts.models import Account, Membership, MembershipRole, User
from quotes.models import Quote, RevisionStatus
from tests import po_builders as pb
from workflows import services as flow_services
from workflows.flows import QuoteFlow
from workflows.models import QuoteProcess
from workflows.scale import Size, seed
from workflows.tasks import OPEN

SIZE = Size(accounts=6, accounts_per_rep=3, quotes=40, lines=3)


@pytest.fixture
def seeded(db):
    lines: list[str] = []
    people = seed(SIZE, write=lines.append, prefix="t.")
    return people, lines


def _copied(status: str, node) -> Quote:
    """A copied (not template) quote whose current revision is ``status``, with an open
    ``node`` task."""
    template_account = Account.objects.order_by("number").first()
    open_processes = Task.objects.filter(flow_task=node, status__in=OPEN).values("process_id")
    process = (
        QuoteProcess.objects.filter(pk__in=open_processes, quote__current_revision__status=status)
        .exclude(quote__account=template_account)
        .select_related("quote")
        .first()
    )
    assert process is not None
    return process.quote


def test_seed_builds_the_size_asked_with_progress(seeded):
    people, lines = seeded
    assert Account.objects.count() == 6
    assert Quote.objects.count() == 40
    assert len(people.reps) == 2
    # 2 billing contacts and 1 member per account, 2 representatives, deal desk and finance
    assert User.objects.count() == 6 * 3 + 2 + 2
    assert Task.objects.filter(status__in=OPEN).exists()
    assert Task.objects.filter(status=STATUS.DONE).exists()
    assert any(" quotes " in line and "[####" in line for line in lines)
    assert lines[-1].split("] ", 1)[1].startswith("done: 6 accounts")


def test_generated_grants_pass_the_real_checks(seeded):
    people, _ = seeded
    account, other = people.accounts[1], people.accounts[4]
    contact = User.objects.get(pk=people.contacts[account.pk][0])
    member = Membership.objects.get(account=account, role=MembershipRole.MEMBER).user
    rep = User.objects.get(pk=people.rep_of[account.pk])
    assert permissions.has_account_permission(contact, "approve_quote", account)
    assert not permissions.has_account_permission(contact, "approve_quote", other)
    assert permissions.account_permissions(member, account) == {"view_account"}
    assert contact.has_perm("contacts.approve_quote", account)  # guardian's own check
    assert set(permissions.accounts_with_permission(rep, "draft_quote")) == set(people.accounts[:3])
    assert "approve_deal" in permissions.account_permissions(people.deal_desk, other)


def test_a_generated_customer_task_is_completed_through_the_services(seeded):
    people, _ = seeded
    quote = _copied(RevisionStatus.SENT, QuoteFlow.customer_decision)
    contact = User.objects.get(pk=people.contacts[quote.account_id][0])
    # When the account's billing contact accepts it through the workflow service
    flow_services.quote_accept(quote=quote, actor=contact, new_po=pb.new_po("PO-1"))
    # Then the revision is accepted by them and the process has no open task left
    quote.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.ACCEPTED
    assert quote.current_revision.decided_by == contact
    process = QuoteProcess.objects.get(quote=quote)
    assert not Task.objects.filter(process_id=process.pk, status__in=OPEN).exists()


def test_a_generated_deal_desk_task_is_approved_through_the_services(seeded):
    people, _ = seeded
    quote = _copied(RevisionStatus.PENDING_APPROVAL, QuoteFlow.deal_desk_review)
    flow_services.quote_approve(quote=quote, actor=people.deal_desk, comment="ok")
    quote.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.SENT
    # and the customer's decision task is now open for the account's contacts
    process = QuoteProcess.objects.get(quote=quote)
    assert Task.objects.filter(
        process_id=process.pk, flow_task=QuoteFlow.customer_decision, status__in=OPEN
    ).exists()


def test_the_command_takes_a_size_and_overrides(db, capsys):
    call_command("seed_scale", size="small", accounts=3, quotes=12, lines=2, prefix="cmd.")
    out = capsys.readouterr().out
    assert "done: 3 accounts" in out
    assert Quote.objects.count() == 12
