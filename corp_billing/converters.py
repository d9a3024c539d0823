"""Path converters for the keys in our URLs.

A URL segment that cannot be a key never reaches a view: anything that does not look like an
account number, a quote number or a revision number is a 404 from the URL resolver, before any
database lookup. (PostgreSQL refuses NUL and some other values outright: a DataError there would
be a 500.) Importing this module registers the converters, once.

The patterns use ``[0-9]``, not ``\\d``: ``\\d`` also matches non-ASCII digits such as "١".
"""

from django.urls import register_converter


class AccountNumberConverter:
    """``OV-1002345`` (see ``contacts.validators.validate_account_number``)."""

    regex = "OV-[0-9]{7}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class QuoteNumberConverter:
    """``Q-2026-000123`` (see ``quotes.services._next_number``: the counter is zero-padded to six
    digits and may grow past them; ``Quote.number`` holds at most 20 characters)."""

    regex = "Q-[0-9]{4}-[0-9]{6,13}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RevisionNumberConverter:
    """A revision number: 1, 2, … (at most nine digits, so it always fits the integer column)."""

    regex = "[0-9]{1,9}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class InvoiceNumberConverter:
    """``INV-2026-000123`` (see ``billing_center.services._next_number``)."""

    regex = "INV-[0-9]{4}-[0-9]{6,13}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ObjectIdConverter:
    """The id of an object whose own number is not a key (a purchase order's number is the
    customer's free text, unique within an account only; a billing-contact change has no
    number): 1 to 999,999,999, like a revision."""

    regex = "[1-9][0-9]{0,8}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(AccountNumberConverter, "account_number")
register_converter(InvoiceNumberConverter, "invoice_number")
register_converter(QuoteNumberConverter, "quote_number")
register_converter(RevisionNumberConverter, "revision")
register_converter(ObjectIdConverter, "object_id")
