"""Every URL × every role × own / other / missing object, with the exact expected status."""

import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .routes import NOT_IN_MATRIX, ROUTES, cases, expected_status
from .snapshot import db_snapshot


def _account_for(world, role, target):
    home = {"member_a": "a", "contact_a": "a", "contact_b": "b", "rep_a": "a", "rep_b": "b"}
    own = home.get(role, "a")
    if target == "own":
        return getattr(world, own)
    if target == "other":
        return getattr(world, "b" if own == "a" else "a")
    return None


def _url(route, world, role, target):
    if route.obj is not None:
        kwargs = route.obj(world, _account_for(world, role, target))
    elif route.kwargs is not None:
        kwargs = route.kwargs(world)
    else:
        kwargs = {}
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


def _named_patterns(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in NOT_IN_MATRIX:
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            yield from _named_patterns(pattern, prefix)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}" if pattern.name else repr(pattern)


def test_every_url_has_a_row():
    served = set(_named_patterns(get_resolver()))
    covered = {route.name for route in ROUTES}
    missing = sorted(served - covered)
    assert not missing, f"URL patterns without a row in tests/security/routes.py: {missing}"


def test_matrix_size_is_reported():
    # Not a behaviour test of the app: it keeps the matrix from silently shrinking.
    assert len(ALL_CASES) >= 100
