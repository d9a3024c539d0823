"""Billing Center forms. The card form validates the number (Luhn), the expiry (not in the past)
and the security code, and never renders the number or the code back into a page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef

from contacts.models import Account
from quotes.models import Price, Product

from .models import Frequency
from .processor import CardDetails, card_brand

MAX_SEATS = 10_000


class _Confirmed(forms.Form):
    """The figures the customer saw on the preview, posted back with the confirmation."""

    charge_now = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=18, decimal_places=4
    )
    effective_on = forms.DateField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def confirmed(self) -> bool:
        data = self.cleaned_data
        return (
            bool(data.get("confirm"))
            and data.get("effective_on") is not None
            and (data.get("charge_now") is not None)
        )


class AddPlanForm(_Confirmed):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None)
    billing_frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.MONTHLY)
    quantity = forms.IntegerField(label="Seats", min_value=1, max_value=MAX_SEATS, initial=1)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Products sold in the account's currency at a renewing frequency.
        sold = Price.objects.filter(
            product=OuterRef("pk"), currency=account.currency, billing_frequency__in=Frequency
        )
        product_field: Any = self.fields["product"]
        product_field.queryset = Product.objects.filter(Exists(sold), is_active=True).order_by(
            "name", "sku"
        )


class SeatsForm(_Confirmed):
    quantity = forms.IntegerField(label="Seats", min_value=1, max_value=MAX_SEATS)


class PlanForm(_Confirmed):
    product = forms.ModelChoiceField(
        label="New plan", queryset=Product.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, offered: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_field: Any = self.fields["product"]
        product_field.queryset = Product.objects.filter(pk__in=[p.pk for p in offered]).order_by(
            "name", "sku"
        )


class FrequencyForm(forms.Form):
    billing_frequency = forms.ChoiceField(choices=Frequency.choices, widget=forms.RadioSelect)
    period_price_after = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=18, decimal_places=4
    )
    effective_on = forms.DateField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def confirmed(self) -> bool:
        data = self.cleaned_data
        return (
            bool(data.get("confirm"))
            and data.get("effective_on") is not None
            and data.get("period_price_after") is not None
        )


class BlankInput(forms.TextInput):
    """A text input that never writes its value back into the page: a card number or security
    code typed once is not echoed in the HTML of an error page (nor cached by the browser)."""

    def format_value(self, value: Any) -> str | None:
        return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_SEPARATORS = re.compile(r"[ \-]")


class CardForm(forms.Form):
    holder_name = forms.CharField(label="Name on card", max_length=200)
    number = forms.CharField(
        label="Card number",
        max_length=40,
        widget=BlankInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.IntegerField(label="Expiry month", min_value=1, max_value=12)
    exp_year = forms.IntegerField(label="Expiry year", min_value=2000, max_value=2100)
    cvc = forms.CharField(
        label="Security code (CVC)",
        max_length=10,
        widget=BlankInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_number(self) -> str:
        # The error messages never repeat what was typed.
        digits = _SEPARATORS.sub("", self.cleaned_data["number"])
        if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise ValidationError("Enter the card number: 12 to 19 digits.")
        if not luhn_ok(digits):
            raise ValidationError("This card number is not valid. Check it and enter it again.")
        return digits

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isascii() or not cvc.isdigit() or len(cvc) not in (3, 4):
            raise ValidationError("Enter the 3- or 4-digit security code.")
        return cvc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        month, year = data.get("exp_month"), data.get("exp_year")
        if month and year and (year, month) < (self.today.year, self.today.month):
            self.add_error("exp_month", "This card has expired.")
        number, cvc = data.get("number"), data.get("cvc")
        if number and cvc:
            # American Express codes have four digits, the others three.
            wanted = 4 if card_brand(number) == "American Express" else 3
            if len(cvc) != wanted:
                self.add_error("cvc", f"Enter the {wanted}-digit security code.")
        return data

    def card(self) -> CardDetails:
        data = self.cleaned_data
        return CardDetails(
            number=data["number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            cvc=data["cvc"],
            holder_name=data["holder_name"].strip(),
        )
