"""The payment-processor interface: the one integration point with a card processor.

The Billing Center never stores or forwards a card number or security code beyond this
interface: ``tokenize`` is given them once, when a card is entered, and returns a token and what
may be shown (brand, last four digits); every later charge names the token. A production
deployment implements ``PaymentProcessor`` against its processor's API (the processor keeps the
card) and names the class in the ``BILLING_PAYMENT_PROCESSOR`` setting.

``LocalProcessor`` is the implementation for development and tests. It keeps nothing: whether a
card declines is decided when it is tokenized (the well-known test numbers below) and carried in
the token, never the number.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class CardDetails:
    """A card as typed. Lives for one request; never stored, logged or put in a message."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder_name: str

    def __repr__(self) -> str:  # so that no traceback or log line ever shows the number or CVC
        return f"CardDetails(holder_name={self.holder_name!r}, number=<hidden>, cvc=<hidden>)"


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str = ""
    decline_reason: str = ""


class CardRefused(Exception):
    """The processor would not accept the card at all (the customer must enter another)."""


class PaymentProcessor(Protocol):
    def tokenize(self, card: CardDetails) -> CardToken: ...

    def charge(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ChargeResult:
        """Charges ``amount``; the same ``idempotency_key`` never charges twice."""
        ...


def card_brand(number: str) -> str:
    """The brand by the number's leading digits (ISO/IEC 7812 issuer ranges)."""
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"34", "37"}:
        return "American Express"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "Mastercard"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3]) <= 649:
        return "Discover"
    return "Card"


# Test numbers with a fixed behaviour, as processors' sandboxes have them.
DECLINING_NUMBERS = frozenset({"4000000000000002"})
REFUSED_NUMBERS = frozenset({"4000000000000127"})
DECLINE_MARK = "tok_local_decline_"
TOKEN_MARK = "tok_local_"


class LocalProcessor:
    """A processor that runs in this process: accepts every card except the declining test
    numbers. It keeps no state, so it cannot honour ``idempotency_key``: the callers never
    charge one invoice twice anyway (they charge under the invoice's row lock)."""

    def tokenize(self, card: CardDetails) -> CardToken:
        if card.number in REFUSED_NUMBERS:
            raise CardRefused("The card issuer refused this card. Use another card.")
        mark = DECLINE_MARK if card.number in DECLINING_NUMBERS else TOKEN_MARK
        return CardToken(
            token=mark + secrets.token_hex(12),
            brand=card_brand(card.number),
            last4=card.number[-4:],
        )

    def charge(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ChargeResult:
        if token.startswith(DECLINE_MARK):
            return ChargeResult(succeeded=False, decline_reason="The card was declined.")
        return ChargeResult(succeeded=True, reference="ch_local_" + secrets.token_hex(8))


def get_processor() -> PaymentProcessor:
    path = getattr(settings, "BILLING_PAYMENT_PROCESSOR", "billing_center.processor.LocalProcessor")
    processor: PaymentProcessor = import_string(path)()
    return processor
