import datetime
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from .models import BillingFrequency, Price, Product
from .money import MAX_AMOUNT, format_money, minor_unit
from .periods import base_unit, line_unit
from .services import LineInput

FREQUENCY_WORDS = {"monthly": "monthly", "annually": "annual", "one_time": "one-time"}


class QuoteHeaderForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        help_text="What the customer will recognise, e.g. '2027 renewal, 250 seats'.",
    )
    term_months = forms.IntegerField(label="Term (months)", min_value=1, max_value=120, initial=12)
    billing_frequency = forms.ChoiceField(
        choices=BillingFrequency.choices, initial=BillingFrequency.ANNUALLY
    )
    valid_until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def __init__(self, *args, today: datetime.date | None = None, time_zone: str = "", **kwargs):
        # ``today`` in the account's time zone: a quote is valid to the end of that day there.
        self.today = today
        self.time_zone = time_zone
        super().__init__(*args, **kwargs)
        if today is not None:
            self.fields["valid_until"].widget.attrs["min"] = today.isoformat()

    def clean_valid_until(self) -> datetime.date:
        value = self.cleaned_data["valid_until"]
        if self.today is not None and value < self.today:
            where = f" in {self.time_zone}" if self.time_zone else ""
            today = f"{self.today:%Y-%m-%d}{where}"
            raise ValidationError(f"The validity date cannot be in the past: today is {today}.")
        return value


class QuoteCreateForm(QuoteHeaderForm):
    # Identifies this form: posting it twice makes one quote.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    field_order = ["title", "term_months", "billing_frequency", "valid_until", "terms", "notes"]


@dataclass
class Catalog:
    """The active price book in one currency, read once per page (two queries, whatever the
    number of line rows), for the product picker's labels and the page's live preview."""

    currency: str
    products: list[Product] = field(default_factory=list)
    prices: dict[int, dict[str, Decimal]] = field(default_factory=dict)

    @classmethod
    def load(cls, currency: str) -> "Catalog":
        catalog = cls(currency, list(Product.objects.filter(is_active=True)))
        for product_id, frequency, amount in Price.objects.filter(
            currency=currency, product__is_active=True
        ).values_list("product_id", "billing_frequency", "list_price"):
            catalog.prices.setdefault(product_id, {})[frequency] = amount
        return catalog

    def by_id(self) -> dict[int, Product]:
        if not hasattr(self, "_by_id"):
            self._by_id = {product.pk: product for product in self.products}
        return self._by_id

    def label(self, product: Product, frequency: str) -> str:
        price = self.prices.get(product.pk, {}).get(frequency)
        if price is None:
            return (
                f"{product.sku} — {product.name} — no {FREQUENCY_WORDS.get(frequency, '')} "
                f"price in {self.currency}"
            )
        unit = line_unit(product.unit, frequency)
        return f"{product.sku} — {product.name} — {format_money(price, self.currency)} / {unit}"


class ProductSelect(forms.Select):
    """The product picker: each option says the list price in the account's currency and the
    quote's frequency; a product without one is marked and cannot be picked (unless a saved line
    already has it). The data attributes let ``quote_edit.js`` relabel the options when the
    frequency changes and price the line as it is typed."""

    catalog: Catalog | None = None
    frequency = ""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if self.catalog is None or value in ("", None):
            return option
        product_id = int(str(value))
        prices = self.catalog.prices.get(product_id, {})
        product = self.catalog.by_id().get(product_id)
        if product is None:
            return option
        option["attrs"].update(
            {
                "data-prices": json.dumps({k: str(v) for k, v in sorted(prices.items())}),
                "data-unit": base_unit(product.unit),
                "data-counted": "1" if product.is_counted else "0",
                "data-label": f"{product.sku} — {product.name}",
            }
        )
        if self.frequency not in prices and not selected:
            option["attrs"]["disabled"] = True
        return option


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True),
        empty_label="— choose a product —",
        widget=ProductSelect,
    )
    quantity = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    unit_price = forms.DecimalField(
        required=False,
        max_digits=16,
        decimal_places=4,
        min_value=Decimal(0),
        help_text="Leave empty for the list price.",
    )
    discount_percent = forms.DecimalField(
        label="Discount %",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        help_text="Empty means no discount.",
    )
    description = forms.CharField(max_length=500, required=False)

    def __init__(
        self,
        *args,
        currency: str,
        billing_frequency: str,
        catalog: Catalog | None = None,
        **kwargs,
    ):
        self.currency = currency
        self.billing_frequency = billing_frequency
        super().__init__(*args, **kwargs)
        if catalog is not None:
            picker = cast(forms.ModelChoiceField, self.fields["product"])
            # The formset's one reading of the price book, not a query per row.
            picker.choices = [("", picker.empty_label)] + [
                (product.pk, catalog.label(product, billing_frequency))
                for product in catalog.products
            ]
            picker.widget.catalog = catalog
            picker.widget.frequency = billing_frequency

    def clean_unit_price(self):
        price = self.cleaned_data.get("unit_price")
        if price is None:
            return None
        places = minor_unit(self.currency)
        if price != price.quantize(Decimal(1).scaleb(-places)):
            raise ValidationError(
                f"{self.currency} amounts have {places} decimal place{'s' if places != 1 else ''}."
                if places
                else f"{self.currency} amounts have no decimal places."
            )
        if price > MAX_AMOUNT:
            raise ValidationError("That amount is too large (at most 12 digits).")
        return price

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        product = cleaned.get("product")
        if product is None or "quantity" not in cleaned or self.has_error("unit_price"):
            return cleaned
        if cleaned.get("unit_price") is None:
            price = Price.objects.filter(
                product=product,
                currency=self.currency,
                billing_frequency=self.billing_frequency,
            ).first()
            if price is None:
                self.add_error(
                    "unit_price",
                    f"{product.sku} has no {FREQUENCY_WORDS.get(self.billing_frequency, '')} "
                    "list price "
                    f"in {self.currency}, the account's currency: enter a unit price.",
                )
                return cleaned
            cleaned["unit_price"] = price.list_price
        if product.is_counted and cleaned["quantity"] != cleaned["quantity"].to_integral_value():
            self.add_error(
                "quantity",
                f"{product.sku} is counted in whole {base_unit(product.unit)}s: "
                "enter a whole number.",
            )
            return cleaned
        if cleaned["quantity"] * cleaned["unit_price"] > MAX_AMOUNT:
            self.add_error("quantity", "This line's amount is too large (at most 12 digits).")
        if cleaned.get("discount_percent") is None:
            cleaned["discount_percent"] = Decimal(0)
        return cleaned

    def to_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            product=data["product"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            discount_percent=data["discount_percent"],
            description=data.get("description", ""),
        )


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, currency: str, billing_frequency: str, **kwargs):
        self.currency = currency
        self.billing_frequency = billing_frequency
        self.catalog = Catalog.load(currency)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {
            "currency": self.currency,
            "billing_frequency": self.billing_frequency,
            "catalog": self.catalog,
        }

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms if not form.cleaned_data.get("DELETE")):
            return
        subtotal = sum((line.quantity * line.unit_price for line in self.lines()), start=Decimal(0))
        if subtotal > MAX_AMOUNT:
            raise ValidationError(
                "The quote's total would be more than 12 digits: split it into several quotes."
            )

    def lines(self) -> list[LineInput]:
        return [
            form.to_input()
            for form in self.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=5000, validate_max=True
)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("send_back", "Send back")])
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == "send_back" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what must change before the quote can be approved.")
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("accept", "Accept"),
            ("reject", "Reject"),
            ("request_changes", "Request changes"),
        ]
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    po_number = forms.CharField(label="Purchase order number", max_length=60, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        decision, comment = cleaned.get("decision"), cleaned.get("comment", "").strip()
        if decision == "reject" and not comment:
            self.add_error("comment", "Give a reason for rejecting the quote.")
        if decision == "request_changes" and not comment:
            self.add_error("comment", "Say what you would like changed.")
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is it withdrawn? (the customer reads this)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Say why the quote is withdrawn; the customer will read it."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the quote is withdrawn; the customer will read it.")
        return reason


class SecondAcceptanceForm(forms.Form):
    """The second billing contact names the document they accept by its SHA-256 (the page
    shows it, as accepted by the first contact): it must be the same one."""

    pdf_sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", label="SHA-256 of the document")
    confirm = forms.BooleanField(
        label="I have read the document the first contact accepted and accept it too"
    )
