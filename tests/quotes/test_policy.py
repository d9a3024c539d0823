"""The revision status table (quotes/policy.py) and what it lets each person do.

The table is the only place that says which action moves a revision from which status to which,
and who may do it; the quote page's buttons come from ``allowed_actions``."""

import ast
import datetime
import pathlib

import pytest
from django.core.exceptions import PermissionDenied
from freezegun import freeze_time

from quotes import policy
from quotes.models import RevisionStatus
from quotes.policy import Action, QuoteConflict
from tests import quote_builders as qb
from workflows import services as flow_services

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_status_and_action_of_the_table_exists_and_every_action_has_one_right():
    statuses = set(RevisionStatus.values)
    for row in policy.TRANSITIONS:
        assert row.source in statuses and row.target in statuses, row
    for action in Action:
        rights = {row.right for row in policy.TRANSITIONS if row.action == action}
        assert len(rights) == 1, (action, rights)


def test_terminal_statuses_allow_nothing_but_a_new_revision():
    for status in (RevisionStatus.ACCEPTED, RevisionStatus.SUPERSEDED):
        assert not [row for row in policy.TRANSITIONS if row.source == status]
    for status in (RevisionStatus.REJECTED, RevisionStatus.EXPIRED, RevisionStatus.WITHDRAWN):
        assert {row.action for row in policy.TRANSITIONS if row.source == status} == {Action.REVISE}


@pytest.mark.parametrize(
    ("state", "role", "expected"),
    [
        ("draft", "rep_a", {Action.EDIT, Action.SUBMIT}),
        ("draft", "contact_a", set()),
        ("draft", "deal_desk", set()),
        ("pending_approval", "deal_desk", {Action.APPROVE, Action.SEND_BACK}),
        ("pending_approval", "rep_a", set()),
        ("pending_approval", "contact_a", set()),
        ("sent", "contact_a", {Action.ACCEPT, Action.REJECT, Action.REQUEST_CHANGES}),
        ("sent", "contact_a2", {Action.ACCEPT, Action.REJECT, Action.REQUEST_CHANGES}),
        ("sent", "rep_a", {Action.WITHDRAW}),
        ("sent", "member_a", set()),
        ("sent", "finance", set()),
        ("sent", "contact_b", set()),
        ("sent", "rep_b", set()),
    ],
)
def test_allowed_actions_by_state_and_role(world, state, role, expected):
    # Given a quote of account a in the state
    builders = {
        "draft": qb.draft_quote,
        "pending_approval": qb.pending_approval_quote,
        "sent": qb.sent_quote,
    }
    quote = builders[state](world.a, world.rep_a)
    # Then the person has exactly these actions on its current revision
    assert policy.allowed_actions(getattr(world, role), quote.current_revision) == expected


def test_a_sent_revision_past_its_validity_offers_no_decision_and_refuses_one(world):
    quote = qb.sent_quote(world.a, world.rep_a, valid_days=1)
    revision = quote.current_revision
    with freeze_time(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)):
        assert policy.allowed_actions(world.contact_a, revision) == set()
        with pytest.raises(QuoteConflict, match="expired"):
            policy.require(world.contact_a, Action.ACCEPT, revision)
    assert revision.status == RevisionStatus.SENT  # nothing was written by asking


def test_the_right_is_checked_before_the_state(world):
    # A contact of another account asking to approve a draft learns nothing about its state
    quote = qb.draft_quote(world.a, world.rep_a)
    with pytest.raises(PermissionDenied):
        policy.require(world.contact_b, Action.APPROVE, quote.current_revision)
    with pytest.raises(PermissionDenied):
        policy.require(world.contact_a, Action.APPROVE, quote.current_revision)


def test_a_superseded_revision_allows_nothing(world):
    quote = qb.sent_quote(world.a, world.rep_a)
    flow_services.quote_decline(
        quote=quote, actor=world.contact_a, action=Action.REQUEST_CHANGES, comment="More seats"
    )
    from quotes import services as quote_services

    quote_services.revision_start_next(quote=quote, actor=world.rep_a)
    quote.refresh_from_db()
    first = quote.revisions.get(number=1)
    assert policy.allowed_actions(world.rep_a, first) == set()
    assert policy.allowed_actions(world.contact_a, first) == set()


def _status_literals(path: pathlib.Path) -> list[str]:
    """String constants equal to a revision status that are compared (==, !=, in)."""
    statuses = set(RevisionStatus.values)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                if isinstance(part, ast.Constant) and part.value in statuses:
                    found.append(f"{path.name}:{node.lineno} {part.value!r}")
                if isinstance(part, ast.Attribute) and part.attr in {
                    s.name for s in RevisionStatus
                }:
                    found.append(f"{path.name}:{node.lineno} {part.attr}")
    return found


def test_no_view_or_template_compares_a_status_to_decide_what_to_show():
    assert _status_literals(ROOT / "quotes" / "views.py") == []
    assert _status_literals(ROOT / "workflows" / "views.py") == []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert ".status ==" not in text and ".status !=" not in text, template
        assert "status ==" not in text, template
