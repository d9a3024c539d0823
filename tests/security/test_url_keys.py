"""A URL segment that cannot be a key is a 404 before any view runs (issue 7 item 11).

PostgreSQL refuses a NUL in a query parameter (DataError): before the key converters, a NUL in
a quote or account number was a 500 on five pages. Runs on SQLite and on PostgreSQL
(DATABASE_URL=postgres://…).
"""

import re

import pytest
from django.test import Client

from corp_billing.converters import (
    AccountNumberConverter,
    InvoiceNumberConverter,
    ObjectIdConverter,
    QuoteNumberConverter,
    RevisionNumberConverter,
)
from tests import quote_builders as qb
from tests.factories import PASSWORD
from workflows import services as flow_services

from .snapshot import db_snapshot
from .urlmap import project_endpoints

KEY_CONVERTERS = (
    AccountNumberConverter,
    QuoteNumberConverter,
    RevisionNumberConverter,
    InvoiceNumberConverter,
    ObjectIdConverter,
)

# Parameters that are not keys of our objects: Django's password-reset view decodes them itself
# and answers "invalid link" for anything it cannot use.
NOT_KEYS = {
    ("contacts:password_reset_confirm", "uidb64"),
    ("contacts:password_reset_confirm", "token"),
    # The invitation link is decoded and checked the same way by its own view.
    ("contacts:invitation", "uidb64"),
    ("contacts:invitation", "token"),
}

GARBAGE = {
    AccountNumberConverter: [
        "\x00",
        "OV-1000001\x00",
        "\x00OV-1000001",
        "OV-100000\x01",
        "OV-1000001\x7f",
        "OV-１０００００１",  # full-width digits
        "OV-١٠٠٠٠٠١",  # Arabic-Indic digits match \d, not [0-9]
        " OV-1000001",
        "OV-1000001\n",
        "OV-10000011",
        "OV-" + "9" * 400,
        "' OR '1'='1",
        "%",
        "x" * 5000,
    ],
    QuoteNumberConverter: [
        "\x00",
        "Q-2026-000001\x00",
        "\x00Q-2026-000001",
        "Q-2026-00000\x01",
        "Q-２０２６-000001",
        "Q-2026-٠٠٠٠٠١",
        "Q-2026-000001 ",
        "Q-2026-0000001\t",
        "Q-2026-" + "9" * 50,
        "Q-20261-000001",
        "'; DROP TABLE quotes_quote; --",
        "x" * 5000,
    ],
    InvoiceNumberConverter: [
        "\x00",
        "INV-2026-000001\x00",
        "INV-２０２６-000001",
        "INV-2026-٠٠٠٠٠١",
        "INV-2026-000001 ",
        "INV-2026-" + "9" * 50,
        "inv-2026-000001",
        "'; DROP TABLE billing_center_invoice; --",
    ],
    ObjectIdConverter: [
        "\x00",
        "1\x00",
        "0",
        "-1",
        "١",
        "9" * 30,
        "1.0",
        " 1",
        "01",
        "' OR 1=1 --",
    ],
    RevisionNumberConverter: [
        "\x00",
        "1\x00",
        "-1",
        "١",
        "9" * 30,
        "1.0",
        "1e3",
        " 1",
    ],
}


def keys_of(endpoint) -> dict[str, type]:
    """The endpoint's key parameters and the converter each must have."""
    keys = {}
    for name, converter in endpoint.converters.items():
        if (endpoint.name, name) in NOT_KEYS:
            continue
        assert isinstance(converter, KEY_CONVERTERS), f"{endpoint.name}: <{name}> has no format"
        keys[name] = type(converter)
    return keys


def key_endpoints():
    return [e for e in project_endpoints() if set(e.converters) - {n for _, n in NOT_KEYS}]


def test_every_url_key_has_a_format():
    # Given every URL parameter the project serves
    # Then each is one of the key converters (or one of the few Django decodes itself)
    loose = [
        (endpoint.name, name, type(converter).__name__)
        for endpoint in project_endpoints()
        for name, converter in endpoint.converters.items()
        if not isinstance(converter, KEY_CONVERTERS) and (endpoint.name, name) not in NOT_KEYS
    ]
    assert loose == [], "use a key converter from corp_billing/converters.py for these"


def test_the_converters_accept_every_real_key(world):
    # Given quotes numbered by the real service and the accounts of the demo data
    quote = qb.draft_quote(world.a, world.rep_a)
    keys = {
        AccountNumberConverter: ["OV-1002345", "OV-1002346", "OV-2000101", world.a.number],
        QuoteNumberConverter: [quote.number, "Q-2026-000123", "Q-2099-999999", "Q-2026-1000000"],
        RevisionNumberConverter: ["1", "12", "999999999"],
        InvoiceNumberConverter: ["INV-2026-000001", "INV-2026-1000000"],
        ObjectIdConverter: ["1", "12", "999999999"],
    }
    # Then each key matches its converter whole
    for converter, values in keys.items():
        for value in values:
            assert re.fullmatch(converter.regex, value), (converter.__name__, value)


@pytest.fixture
def real_keys(world):
    quote = qb.sent_quote(world.a, world.rep_a)
    change = flow_services.contact_change_propose(
        account=world.a,
        actor=world.contact_a,
        password=PASSWORD,
        kind="add",
        first_name="Key",
        email="key@mail.example",
        login_id="key.contact",
    )
    return {
        AccountNumberConverter: world.a.number,
        QuoteNumberConverter: quote.number,
        RevisionNumberConverter: "1",
        InvoiceNumberConverter: "INV-2026-000001",
        ObjectIdConverter: str(change.pk),
    }


@pytest.mark.parametrize("role", ["anonymous", "deal_desk"])
def test_garbage_in_a_key_is_a_404(role, world, real_keys):
    # Given somebody, or deal desk who may open every account's quotes with a real key
    client = Client()
    if role != "anonymous":
        client.force_login(world.user(role), backend="contacts.backends.LoginIdBackend")
    before = db_snapshot()
    wrong = []
    endpoints = key_endpoints()
    assert len(endpoints) >= 12  # every URL of an account, a quote or a revision
    for endpoint in endpoints:
        keys = keys_of(endpoint)
        real = {name: real_keys[kind] for name, kind in keys.items()}
        for name, kind in keys.items():
            for garbage in GARBAGE[kind]:
                path = endpoint.path(**{**real, name: garbage})
                for method in ("get", "post"):
                    # When they ask for a URL with garbage in one key
                    response = getattr(client, method)(path)
                    # Then the answer is 404
                    if response.status_code != 404:
                        wrong.append((method.upper(), path[:80], response.status_code))
    assert wrong == []
    # And nothing changed
    assert db_snapshot() == before
