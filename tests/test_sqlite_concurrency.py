"""Twenty people at once on the default database answer 302 or a clear 409, never a 500.

On SQLite (the embedded default) this is about file locking: the test database is a file, as
`make run`'s is, and each racer is a thread with its own client and connection, released
together by a barrier. The same tests run on PostgreSQL in CI's second pass.
"""

import threading
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from contacts.models import StaffRole
from quotes.models import Acceptance, Quote, RevisionStatus
from tests import factories
from tests import po_builders as pb
from tests import quote_builders as qb

RACERS = 20
BACKEND = "contacts.backends.LoginIdBackend"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _on_a_file_if_sqlite(transactional_db):
    # SQLite's in-memory test database shares one cache between threads and locks tables, not
    # the file: the race below would not be the one production has.
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        assert "memory" not in str(name), f"SQLite test database is in memory: {name}"
    qb.ensure_default_rules()


@dataclass
class Outcome:
    user: object
    status: int
    body: str
    location: str | None


def race(users, url: str, data_for) -> list[Outcome]:
    """Every user POSTs ``data_for(i)`` to ``url`` at the same instant from its own thread,
    client and connection. An exception escaping a view counts as a 500."""
    barrier = threading.Barrier(len(users))
    outcomes: list[Outcome | None] = [None] * len(users)

    def run(index, user):
        try:
            client = Client(raise_request_exception=False)
            client.force_login(user, backend=BACKEND)
            barrier.wait(timeout=60)
            response = client.post(url, data_for(index))
            outcomes[index] = Outcome(
                user, response.status_code, response.content.decode(), response.get("Location")
            )
        except Exception:
            outcomes[index] = Outcome(user, 500, traceback.format_exc(), None)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, user)) for i, user in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return outcomes


def statuses(outcomes) -> Counter:
    errors = [o.body for o in outcomes if o.status >= 500]
    assert not errors, f"{len(errors)} server errors, the first:\n{errors[0]}"
    return Counter(o.status for o in outcomes)


def test_twenty_contacts_accepting_one_quote_get_one_success_and_nineteen_clear_409s(world):
    # given a quote sent to account A and twenty of its billing contacts
    quote = qb.sent_quote(world.a, world.rep_a)
    contacts = [factories.billing_contact(world.a) for _ in range(RACERS)]

    # when all of them accept it at the same instant
    outcomes = race(
        contacts,
        reverse("workflows:quote_decide", args=[quote.number]),
        lambda i: {"decision": "accept", **pb.new_po_fields(f"PO-{i:03d}"), "comment": ""},
    )

    # then one acceptance went through and everybody else was told the quote had moved on
    assert statuses(outcomes) == {302: 1, 409: RACERS - 1}
    (winner,) = [o for o in outcomes if o.status == 302]
    assert Acceptance.objects.get().accepted_by == winner.user
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.ACCEPTED
    for loser in (o for o in outcomes if o.status == 409):
        assert "This quote has moved on" in loser.body


def test_twenty_deal_desk_users_approving_one_quote_get_one_success(world):
    # given a quote waiting for deal desk and twenty deal-desk users
    quote = qb.pending_approval_quote(world.a, world.rep_a)
    reviewers = [factories.staff(StaffRole.DEAL_DESK) for _ in range(RACERS)]

    # when all of them approve it at the same instant
    outcomes = race(
        reviewers,
        reverse("workflows:quote_review", args=[quote.number]),
        lambda i: {"decision": "approve", "comment": f"reviewer {i}"},
    )

    # then one approval went through, the rest got a 409, and the quote went to the customer
    assert statuses(outcomes) == {302: 1, 409: RACERS - 1}
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.status == RevisionStatus.SENT


def test_twenty_quotes_created_at_once_are_all_created(world):
    # given twenty representatives of account A, each with a create form of their own
    reps = [factories.representative(world.a) for _ in range(RACERS)]
    keys = [uuid.uuid4() for _ in range(RACERS)]

    # when they all submit at the same instant
    outcomes = race(
        reps,
        reverse("quotes:create", args=[world.a.number]),
        lambda i: {
            "title": f"Renewal {i}",
            "term_months": "12",
            "billing_frequency": "annually",
            "valid_until": "2099-12-31",
            "terms": "Net 30",
            "notes": "",
            "idempotency_key": str(keys[i]),
        },
    )

    # then twenty quotes exist, each with its own number, and everybody was sent to theirs
    assert statuses(outcomes) == {302: RACERS}
    quotes = Quote.objects.all()
    assert sorted(q.idempotency_key for q in quotes) == sorted(keys)
    assert len({q.number for q in quotes}) == RACERS
    assert sorted(o.location for o in outcomes) == sorted(
        reverse("quotes:edit", args=[q.number]) for q in quotes
    )
