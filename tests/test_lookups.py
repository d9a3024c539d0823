"""``__any_of`` (``corp_billing.lookups``) finds exactly what ``__in`` finds, on either database."""

import pytest

from contacts.models import Account, Membership
from tests import factories


@pytest.mark.parametrize("pick", [[], [0], [0, 2], [0, 1, 2, 3]], ids=["none", "one", "two", "all"])
def test_any_of_finds_what_in_finds(db, pick):
    accounts = [factories.AccountFactory() for _ in range(4)]
    for account in accounts:
        factories.billing_contact(account)
    ids = [accounts[i].pk for i in pick]

    assert set(Account.objects.filter(pk__any_of=ids)) == set(Account.objects.filter(pk__in=ids))
    by_key = Membership.objects.filter(account__any_of=ids)
    assert set(by_key) == set(Membership.objects.filter(account__in=ids))
    assert {m.account_id for m in by_key} == set(ids)


def test_any_of_binds_integer_keys_only(db):
    with pytest.raises(ValueError):
        list(Account.objects.filter(pk__any_of=["1); DROP TABLE contacts_account; --"]))
