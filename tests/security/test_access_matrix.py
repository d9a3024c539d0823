"""Every URL × every role × own / other / missing object, with the exact expected status."""

import pytest
from django.core import mail
from django.urls import reverse

from .routes import (
    EVERYONE_SIGNED_IN,
    MISSING_QUOTE,
    NOT_IN_MATRIX,
    ROUTES,
    cases,
    expected_status,
)
from .snapshot import db_snapshot
from .urlmap import endpoints


def _account_for(world, role, target):
    home = {"member_a": "a", "contact_a": "a", "contact_b": "b", "rep_a": "a", "rep_b": "b"}
    own = home.get(role, "a")
    if target == "own":
        return getattr(world, own)
    if target == "other":
        return getattr(world, "b" if own == "a" else "a")
    return None


def _url(route, world, role, target):
    kwargs = route.obj(world, _account_for(world, role, target)) if route.obj else {}
    return reverse(route.name, kwargs=kwargs)


ALL_CASES = list(cases())


@pytest.mark.parametrize(
    ("route", "role", "target"),
    ALL_CASES,
    ids=[f"{r.id}|{role}|{t or '-'}" for r, role, t in ALL_CASES],
)
def test_access(route, role, target, world, client):
    # Given a person in the role (or nobody)
    user = world.user(role)
    if user is not None:
        client.force_login(user, backend="contacts.backends.LoginIdBackend")
    url = _url(route, world, role, target)
    expected = expected_status(route, role, target)
    data = route.data(world) if route.data else {}
    before = db_snapshot()
    outbox_before = len(mail.outbox)

    # When they request the URL
    response = client.post(url, data) if route.method == "POST" else client.get(url)

    # Then the status is exactly the expected one
    assert response.status_code == expected, (route.id, role, target, url)
    if expected == 302 and role == "anonymous" and route.anonymous == 302:
        assert response["Location"].startswith(reverse("contacts:login"))
    # And a denied request changed nothing and sent nothing
    denied = role == "anonymous" or expected == 404
    if denied and route.name != "contacts:logout":
        assert db_snapshot() == before
        assert len(mail.outbox) == outbox_before


def test_other_and_missing_give_the_same_404_body(world, client):
    # Given billing contact of A signed in
    client.force_login(world.contact_a, backend="contacts.backends.LoginIdBackend")
    # When they ask for B's account and for an account that does not exist
    other = client.get(reverse("contacts:account_home", kwargs={"number": world.b.number}))
    missing = client.get(reverse("contacts:account_home", kwargs={"number": "OV-9999999"}))
    # Then both answers are the same 404
    assert other.status_code == missing.status_code == 404
    assert other.content.replace(world.b.number.encode(), b"X") == missing.content.replace(
        b"OV-9999999", b"X"
    )


# The methods a matrix row may be for; a view that accepts one of them needs a row for it.
METHODS = ("GET", "POST")


def _served_endpoints():
    return {e.name: e for e in endpoints() if e.namespace not in NOT_IN_MATRIX}


def _probe_kwargs(endpoint):
    """Parameters the URL's converters accept, naming nothing that exists."""
    samples = {
        "number": {"AccountNumberConverter": "OV-9999999", "QuoteNumberConverter": MISSING_QUOTE},
        "rev": {"RevisionNumberConverter": "1"},
        "plan": {"ObjectIdConverter": "999999999"},
        "method": {"ObjectIdConverter": "999999999"},
        "invoice": {"InvoiceNumberConverter": "INV-2099-999999"},
    }
    # Ids (purchase orders, their changes and documents, contact changes): one format.
    by_converter = {"ObjectIdConverter": "999999999"}
    kwargs = {}
    for name, converter in endpoint.converters.items():
        kind = type(converter).__name__
        kwargs[name] = samples.get(name, {}).get(kind, by_converter.get(kind, "probe"))
    return kwargs


def _accepted_methods(client, user, endpoint) -> set[str]:
    """The methods the view accepts: Django answers 405 to the others (require_POST,
    require_http_methods, a class-based view without the handler) before looking anything up.
    The person is signed in afresh each time, so that login_required lets every request reach
    the method check (one of the probes signs out)."""
    path = endpoint.path(**_probe_kwargs(endpoint))
    accepted = set()
    for method in METHODS:
        client.force_login(user, backend="contacts.backends.LoginIdBackend")
        if client.generic(method, path).status_code != 405:
            accepted.add(method)
    return accepted


def test_every_url_and_method_has_a_row(world, client):
    # When every URL pattern is asked with every method by a signed-in person
    served = set()
    for name, endpoint in _served_endpoints().items():
        accepted = _accepted_methods(client, world.deal_desk, endpoint)
        served |= {(name, method) for method in accepted}
    # Then each accepted (URL name, method) has a row, and no row is for a method nobody serves
    covered = {(route.name, route.method) for route in ROUTES}
    assert sorted(served - covered) == [], "add these rows to tests/security/routes.py"
    assert sorted(covered - served) == [], "rows for URLs or methods that are not served"


def test_the_method_probe_sees_both_kinds_of_view(world, client):
    # Given the probe the completeness test relies on
    served = _served_endpoints()

    def accepted(name):
        return _accepted_methods(client, world.deal_desk, served[name])

    # Then it tells POST-only views from GET-and-POST views, the sign-out included
    assert accepted("workflows:quote_submit") == {"POST"}
    assert accepted("contacts:logout") == {"POST"}
    assert accepted("quotes:edit") == {"GET", "POST"}
    assert accepted("contacts:password_reset_confirm") == {"GET", "POST"}


def test_a_url_with_parameters_names_its_object():
    # Given every row
    served = _served_endpoints()
    # Then a row for a URL pattern with parameters says which object it opens (so the matrix
    # also asks for the other account's object and a missing one)
    silent = [r.id for r in ROUTES if served[r.name].kwarg_names and r.obj is None]
    assert silent == []
    # And a row without parameters names none
    assert [r.id for r in ROUTES if not served[r.name].kwarg_names and r.obj] == []


def test_only_public_pages_answer_every_object_alike():
    # A row that does not depend on whose object is in the URL must be a public page: the same
    # answer for everyone, signed in or not. Anything else is scoped to accounts.
    for route in ROUTES:
        if not route.scoped:
            assert set(route.allowed) == set(EVERYONE_SIGNED_IN), route.id
            assert set(route.allowed.values()) == {route.anonymous}, route.id


def test_matrix_size_is_reported():
    # Not a behaviour test of the app: it keeps the matrix from silently shrinking.
    assert len(ALL_CASES) >= 100
