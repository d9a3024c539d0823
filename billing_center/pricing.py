"""What a change will cost and when it takes effect, computed before it is confirmed.

The confirmation page shows a ``Preview``; the service recomputes it under the plan's row lock
and refuses (``BillingConflict``) unless it is the one the customer saw, so what is charged is
what was shown, to the minor unit. Reads only; the services write.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from contacts.models import Account
from quotes.models import Price, Product
from quotes.money import round_money

from . import periods
from .models import Frequency, Subscription
from .policy import Action, BillingConflict


def seats(count: int) -> str:
    """ "1 seat", "12 seats": how every message counts seats."""
    return f"{count} seat" if count == 1 else f"{count} seats"


def local_today(account: Account, now: datetime | None = None) -> date:
    """Today in the account's time zone: the day a change is dated and charged."""
    return (now or timezone.now()).astimezone(ZoneInfo(account.time_zone)).date()


def list_price(product: Product, currency: str, frequency: str) -> Decimal | None:
    """The price book's price per seat per period, in whole minor units; ``None`` if the product
    is not sold in that currency at that frequency."""
    price = (
        Price.objects.filter(
            product=product, currency=currency, billing_frequency=frequency, product__is_active=True
        )
        .values_list("list_price", flat=True)
        .first()
    )
    return None if price is None else round_money(price, currency)


def frequencies_on_offer(product: Product, currency: str) -> list[str]:
    return [f for f in Frequency.values if list_price(product, currency, f) is not None]


@dataclass(frozen=True)
class Preview:
    """A change's effect: what is charged now (``charge_now``, 0 for a change at renewal), from
    when, and the plan's price per period before and after."""

    action: Action
    currency: str
    product_before: Product | None
    effective_on: date
    charge_now: Decimal
    quantity_before: int
    quantity_after: int
    frequency_before: str
    frequency_after: str
    unit_price_after: Decimal
    period_price_before: Decimal
    period_price_after: Decimal
    period_start: date
    period_end: date
    days_left: int = 0
    days_in_period: int = 0
    product_after: Product | None = None

    @property
    def immediate(self) -> bool:
        """Takes effect at once (and is charged now) rather than at the next renewal."""
        return self.action in (Action.ADD_SEATS, Action.UPGRADE_PLAN)

    @property
    def frequency_after_label(self) -> str:
        return Frequency(self.frequency_after).label

    @property
    def frequency_before_label(self) -> str:
        return Frequency(self.frequency_before).label


def new_plan_preview(
    *, account: Account, product: Product, frequency: str, quantity: int, today: date
) -> Preview:
    """A new plan starts today: its first whole period is charged now."""
    unit_price = list_price(product, account.currency, frequency)
    if unit_price is None:
        raise BillingConflict(f"{product.name} is not sold {frequency} in {account.currency}.")
    end = periods.period_end(today, frequency, today.day)
    price = periods.period_price(quantity, unit_price, account.currency)
    return Preview(
        action=Action.ADD_SEATS,
        currency=account.currency,
        product_before=None,
        product_after=product,
        effective_on=today,
        charge_now=price,
        quantity_before=0,
        quantity_after=quantity,
        frequency_before=frequency,
        frequency_after=frequency,
        unit_price_after=unit_price,
        period_price_before=Decimal(0),
        period_price_after=price,
        period_start=today,
        period_end=end,
    )


def seats_preview(*, subscription: Subscription, quantity: int, today: date) -> Preview:
    """More seats: at once, the difference prorated over the days left. Fewer: at renewal."""
    sub = subscription
    currency = sub.currency
    if quantity == sub.quantity:
        raise BillingConflict(f"The plan already has {seats(quantity)}; nothing to change.")
    at_renewal = Preview(
        action=Action.REDUCE_SEATS,
        currency=currency,
        product_before=sub.product,
        product_after=sub.product,
        effective_on=sub.period_end,
        charge_now=round_money(0, currency),
        quantity_before=sub.quantity,
        quantity_after=quantity,
        frequency_before=sub.billing_frequency,
        frequency_after=sub.billing_frequency,
        unit_price_after=sub.unit_price,
        period_price_before=periods.period_price(sub.quantity, sub.unit_price, currency),
        period_price_after=periods.period_price(quantity, sub.unit_price, currency),
        period_start=sub.period_start,
        period_end=sub.period_end,
    )
    if quantity < sub.quantity:
        return at_renewal
    return _at_once(at_renewal, Action.ADD_SEATS, today)


def _at_once(preview: Preview, action: Action, today: date) -> Preview:
    """``preview`` as a change taking effect today: the difference of the period prices for the
    days left of the current period."""
    left, total = periods.days_remaining(
        start=preview.period_start, end=preview.period_end, today=today
    )
    charge = periods.prorated(
        old_period_price=preview.period_price_before,
        new_period_price=preview.period_price_after,
        left=left,
        total=total,
        currency=preview.currency,
    )
    return replace(
        preview,
        action=action,
        effective_on=today,
        charge_now=charge,
        days_left=left,
        days_in_period=total,
    )


def frequency_preview(*, subscription: Subscription, frequency: str) -> Preview:
    """Another billing frequency starts at the next renewal, at that frequency's list price."""
    sub = subscription
    if frequency == sub.billing_frequency:
        raise BillingConflict("The plan is already billed at that frequency; nothing to change.")
    unit_price = list_price(sub.product, sub.currency, frequency)
    if unit_price is None:
        raise BillingConflict(
            f"{sub.product.name} is not sold {Frequency(frequency).label.lower()} in "
            f"{sub.currency}."
        )
    return Preview(
        action=Action.CHANGE_FREQUENCY,
        currency=sub.currency,
        product_before=sub.product,
        product_after=sub.product,
        effective_on=sub.period_end,
        charge_now=round_money(0, sub.currency),
        quantity_before=sub.quantity,
        quantity_after=sub.quantity,
        frequency_before=sub.billing_frequency,
        frequency_after=frequency,
        unit_price_after=unit_price,
        period_price_before=periods.period_price(sub.quantity, sub.unit_price, sub.currency),
        period_price_after=periods.period_price(sub.quantity, unit_price, sub.currency),
        period_start=sub.period_start,
        period_end=sub.period_end,
    )


def plans_on_offer(subscription: Subscription) -> list[Product]:
    """The other products this plan may change to: sold in its currency at its frequency."""
    sold = Price.objects.filter(
        currency=subscription.currency, billing_frequency=subscription.billing_frequency
    ).values("product_id")
    return list(
        Product.objects.filter(pk__in=sold, is_active=True)
        .exclude(pk=subscription.product_id)
        .order_by("name", "sku")
    )


def plan_preview(*, subscription: Subscription, product: Product, today: date) -> Preview:
    """Another product for the same seats: a dearer one at once, the difference prorated over
    the days left (like more seats); a cheaper one (or one at the same price) at the renewal."""
    sub = subscription
    if product.pk == sub.product_id:
        raise BillingConflict("The plan is already for that product; nothing to change.")
    unit_price = list_price(product, sub.currency, sub.billing_frequency)
    if unit_price is None:
        raise BillingConflict(
            f"{product.name} is not sold {Frequency(sub.billing_frequency).label.lower()} in "
            f"{sub.currency}."
        )
    at_renewal = Preview(
        action=Action.DOWNGRADE_PLAN,
        currency=sub.currency,
        product_before=sub.product,
        product_after=product,
        effective_on=sub.period_end,
        charge_now=round_money(0, sub.currency),
        quantity_before=sub.quantity,
        quantity_after=sub.quantity,
        frequency_before=sub.billing_frequency,
        frequency_after=sub.billing_frequency,
        unit_price_after=unit_price,
        period_price_before=periods.period_price(sub.quantity, sub.unit_price, sub.currency),
        period_price_after=periods.period_price(sub.quantity, unit_price, sub.currency),
        period_start=sub.period_start,
        period_end=sub.period_end,
    )
    if unit_price <= sub.unit_price:
        return at_renewal
    return _at_once(at_renewal, Action.UPGRADE_PLAN, today)


def require_confirmed(preview: Preview, *, charge_now: Decimal, effective_on: date) -> None:
    """Refuses unless the customer confirmed exactly ``preview``'s charge and date (the page may
    be a day old: the days left, hence the charge, have changed since)."""
    if preview.charge_now != charge_now or preview.effective_on != effective_on:
        raise BillingConflict(
            "The amount or the date of this change is no longer the one you confirmed; nothing "
            "was changed. Review the new figures and confirm again."
        )
