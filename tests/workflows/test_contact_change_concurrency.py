"""Races on billing-contact changes, through the real views, on PostgreSQL's row locks: several
representatives confirm one change at the same instant, and two confirmations together try to
remove an account's last contact. The threaded tests run on PostgreSQL only (see
``tests/workflows/test_concurrency.py``); the sequential double post runs everywhere.
"""

import os
from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from contacts.models import ContactChange, ContactChangeStatus, Membership, MembershipRole, User
from tests import factories
from tests.conftest import IN_CI
from workflows import services as flow_services

from .test_concurrency import BACKEND, race

THREADED = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_for_row_locks(request):
    if request.node.get_closest_marker("postgres_only") is None:
        return
    if connection.vendor == "postgresql":
        return
    if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail(
            f"CI's PostgreSQL run must execute these, but the database is {connection.vendor!r}"
        )
    pytest.skip(f"needs PostgreSQL row locks; {connection.vendor} has none")


def _add(account, contact, login_id):
    return flow_services.contact_change_propose(
        account=account,
        actor=contact,
        password=factories.PASSWORD,
        kind="add",
        first_name="Race",
        email=f"{login_id}@mail.example",
        login_id=login_id,
    )


def _remove(account, contact, target):
    return flow_services.contact_change_propose(
        account=account,
        actor=contact,
        password=factories.PASSWORD,
        kind="remove",
        target_id=target.pk,
    )


def _decide_url(change) -> str:
    return reverse("workflows:contact_change_decide", args=[change.pk])


@THREADED
@pytest.mark.postgres_only
def test_representatives_confirming_one_change_at_once_apply_it_once(world):
    # Given ten representatives of account a and one pending addition
    reps = [world.rep_a] + [factories.representative(world.a) for _ in range(9)]
    change = _add(world.a, world.contact_a, "race.buyer")
    mail.outbox.clear()
    # When they all confirm it at the same instant
    outcomes = race(reps, _decide_url(change), lambda i: {"decision": "confirm"})
    # Then exactly one applies it; the others get a clear 409, none a 500
    statuses = Counter(o.status for o in outcomes)
    assert not [o.body for o in outcomes if o.status >= 500]
    assert statuses == {302: 1, 409: 9}
    for loser in (o for o in outcomes if o.status == 409):
        assert "This contact change has moved on" in loser.body
    # And the colleague exists once, with one membership and one invitation
    change.refresh_from_db()
    assert change.status == ContactChangeStatus.CONFIRMED
    assert User.objects.filter(username="race.buyer").count() == 1
    assert Membership.objects.filter(account=world.a, user__username="race.buyer").count() == 1
    assert [m.to for m in mail.outbox if m.to == ["race.buyer@mail.example"]] == [
        ["race.buyer@mail.example"]
    ]
    assert not Task.objects.filter(
        process__contactchangeprocess__change=change, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()


@THREADED
@pytest.mark.postgres_only
def test_two_removals_confirmed_at_once_never_remove_the_last_contact(world):
    # Given an account with two contacts, no primary, each proposed for removal
    account = factories.AccountFactory()
    x = factories.billing_contact(account, username="x.race")
    y = factories.billing_contact(account, username="y.race")
    rep_one = factories.representative(account, username="rep.one")
    rep_two = factories.representative(account, username="rep.two")
    remove_x, remove_y = _remove(account, y, x), _remove(account, x, y)
    urls = [_decide_url(remove_x), _decide_url(remove_y)]

    # When two representatives confirm one each at the same instant (different processes, so
    # the process locks do not serialise them: the contacts' row locks must)
    import threading

    barrier = threading.Barrier(2)
    results: list[int | None] = [None, None]

    def confirm(index, rep):
        try:
            client = Client()
            client.force_login(rep, backend=BACKEND)
            barrier.wait(timeout=30)
            results[index] = client.post(urls[index], {"decision": "confirm"}).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=confirm, args=(i, r)) for i, r in enumerate((rep_one, rep_two))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then neither failed, one was applied, and the account keeps exactly one contact
    assert results == [302, 302]
    statuses = sorted(
        ContactChange.objects.filter(account=account).values_list("status", flat=True)
    )
    assert statuses == [ContactChangeStatus.CONFIRMED, ContactChangeStatus.PENDING]
    assert (
        Membership.objects.filter(account=account, role=MembershipRole.BILLING_CONTACT).count() == 1
    )


def test_a_second_confirmation_of_the_same_change_is_a_409(world):
    change = _add(world.a, world.contact_a, "twice.buyer")
    client = Client()
    client.force_login(world.rep_a, backend=BACKEND)
    assert client.post(_decide_url(change), {"decision": "confirm"}).status_code == 302
    second = client.post(_decide_url(change), {"decision": "confirm"})
    assert second.status_code == 409
    assert "already confirmed" in second.content.decode()
    assert User.objects.filter(username="twice.buyer").count() == 1
