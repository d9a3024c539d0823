"""Approval rules: which fired, and by how much. Pure functions over plain numbers."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .models import RuleKind
from .money import HUNDRED, format_money


@dataclass(frozen=True)
class LineFigures:
    position: int
    name: str
    discount_percent: Decimal


@dataclass(frozen=True)
class RuleHit:
    rule_name: str
    kind: str
    threshold: Decimal
    measured: Decimal
    excess: Decimal
    explanation: str
    rule_id: int | None = None
    tier: str = "deal_desk"


def _pct(value: Decimal) -> str:
    return f"{value:.2f}%"


def _points(value: Decimal) -> str:
    return f"{value:.2f} points"


def deal_terms_fingerprint(revision: Any) -> str:
    """The deal's terms besides its figures: term, billing frequency, validity and the terms
    text. An approval carries over to another revision only when these are the same; the
    figures (discounts, total) are compared rule by rule instead."""
    parts = [
        str(revision.term_months),
        revision.billing_frequency,
        str(revision.valid_until),
        hashlib.sha256(revision.terms.encode()).hexdigest(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def format_measured(kind: str, value: Decimal | None, currency: str) -> str:
    """A rule's measured or approved value as people read it: a percentage or an amount."""
    if value is None:
        return ""
    if kind == RuleKind.TOTAL_AMOUNT:
        return format_money(value, currency)
    return _pct(value)


def quote_discount_percent(subtotal: Decimal, discount_total: Decimal) -> Decimal:
    if subtotal == 0:
        return Decimal(0)
    return (discount_total / subtotal * HUNDRED).quantize(Decimal("0.01"))


def effective_discount_percent(
    *,
    quantity: Decimal,
    list_price: Decimal | None,
    net_amount: Decimal,
    discount_percent: Decimal,
) -> Decimal:
    """The line's discount against the price book: a unit price of 1.00 against a list price of
    390.00 is a 99.74 % discount, whatever the discount column says."""
    if list_price is None or list_price <= 0:
        return discount_percent
    list_amount = quantity * list_price
    below_list = ((list_amount - net_amount) / list_amount * HUNDRED).quantize(Decimal("0.01"))
    return max(discount_percent, below_list)


def evaluate(
    rules,
    *,
    lines: list[LineFigures],
    subtotal: Decimal,
    discount_total: Decimal,
    total: Decimal,
    currency: str,
) -> list[RuleHit]:
    hits: list[RuleHit] = []
    for rule in rules:
        if not rule.is_active:
            continue
        if rule.kind == RuleKind.LINE_DISCOUNT:
            for line in lines:
                if line.discount_percent > rule.threshold:
                    excess = line.discount_percent - rule.threshold
                    hits.append(
                        RuleHit(
                            rule.name,
                            rule.kind,
                            rule.threshold,
                            line.discount_percent,
                            excess,
                            f"Line {line.position} ({line.name}) has a "
                            f"{_pct(line.discount_percent)} discount: {_points(excess)} over the "
                            f"{_pct(rule.threshold)} limit.",
                            rule.pk,
                            rule.tier,
                        )
                    )
        elif rule.kind == RuleKind.QUOTE_DISCOUNT:
            measured = quote_discount_percent(subtotal, discount_total)
            if measured > rule.threshold:
                excess = measured - rule.threshold
                hits.append(
                    RuleHit(
                        rule.name,
                        rule.kind,
                        rule.threshold,
                        measured,
                        excess,
                        f"The whole quote is discounted {_pct(measured)}: {_points(excess)} "
                        f"over the {_pct(rule.threshold)} limit.",
                        rule.pk,
                        rule.tier,
                    )
                )
        elif rule.kind == RuleKind.TOTAL_AMOUNT and total > rule.threshold:
            excess = total - rule.threshold
            hits.append(
                RuleHit(
                    rule.name,
                    rule.kind,
                    rule.threshold,
                    total,
                    excess,
                    f"The total {format_money(total, currency)} is "
                    f"{format_money(excess, currency)} over the "
                    f"{format_money(rule.threshold, currency)} limit.",
                    rule.pk,
                    rule.tier,
                )
            )
    return hits
