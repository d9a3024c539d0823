import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from corp_billing.widgets import LimitedTextarea

from .models import BillingFrequency, Price, Product
from .money import MAX_AMOUNT, minor_unit
from .services import LineInput

FREQUENCY_WORDS = {"monthly": "monthly", "annually": "annual", "one_time": "one-time"}


class QuoteHeaderForm(forms.Form):
    term_months = forms.IntegerField(label="Term (months)", min_value=1, max_value=120, initial=12)
    billing_frequency = forms.ChoiceField(
        choices=BillingFrequency.choices, initial=BillingFrequency.ANNUALLY
    )
    valid_until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    terms = forms.CharField(
        widget=LimitedTextarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    notes = forms.CharField(
        widget=LimitedTextarea(attrs={"rows": 2}), required=False, max_length=5000
    )


class QuoteCreateForm(QuoteHeaderForm):
    title = forms.CharField(
        max_length=200,
        help_text="What the customer will recognise, e.g. '2027 renewal, 250 seats'.",
    )
    # Identifies this form: posting it twice makes one quote.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    field_order = ["title", "term_months", "billing_frequency", "valid_until", "terms", "notes"]


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), empty_label="— choose a product —"
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

    def __init__(self, *args, currency: str, billing_frequency: str, **kwargs):
        self.currency = currency
        self.billing_frequency = billing_frequency
        super().__init__(*args, **kwargs)
        self._name_inputs()

    def _name_inputs(self) -> None:
        # The lines are a table whose column headers name each input by sight; a screen reader
        # reads an input alone, so each carries its own name: "Line 2: Quantity".
        index = (self.prefix or "").rsplit("-", 1)[-1]
        line = f"Line {int(index) + 1}" if index.isdigit() else "New line"
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", f"{line}: {self[name].label}")

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
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"currency": self.currency, "billing_frequency": self.billing_frequency}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # added after the form named its own inputs
            line = f"Line {index + 1}" if index is not None else "New line"
            form.fields["DELETE"].widget.attrs["aria-label"] = f"{line}: remove"

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
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
    LineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=5000, validate_max=True
)


class _QuotePageForm(forms.Form):
    """A form of the quote page, whose ids the page's labels use (``<prefix>-<field>``)."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class ReviewForm(_QuotePageForm):
    id_prefix = "review"
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("send_back", "Send back")])
    comment = forms.CharField(
        label="Comment (required to send back)",
        widget=LimitedTextarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.has_error("comment"):
            return cleaned
        if cleaned.get("decision") == "send_back" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what must change before the quote can be approved.")
        return cleaned


class DecisionForm(_QuotePageForm):
    id_prefix = "decision"
    decision = forms.ChoiceField(
        choices=[
            ("accept", "Accept"),
            ("reject", "Reject"),
            ("request_changes", "Request changes"),
        ]
    )
    comment = forms.CharField(
        label="Comment (required to reject or request changes)",
        widget=LimitedTextarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    po_number = forms.CharField(label="Purchase order number", max_length=60, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        decision, comment = cleaned.get("decision"), cleaned.get("comment", "").strip()
        if self.has_error("comment"):
            return cleaned  # too long: that is what to say about it
        if decision == "reject" and not comment:
            self.add_error("comment", "Give a reason for rejecting the quote.")
        if decision == "request_changes" and not comment:
            self.add_error("comment", "Say what you would like changed.")
        return cleaned


class WithdrawForm(_QuotePageForm):
    id_prefix = "withdraw"
    reason = forms.CharField(
        label="Reason for withdrawing (the customer reads this)",
        widget=LimitedTextarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Say why the quote is withdrawn; the customer will read it."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the quote is withdrawn; the customer will read it.")
        return reason


class QuoteListFilterForm(forms.Form):
    """The quote list's search, filters and order (a GET form: the URL is the view)."""

    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        help_text="Quote number, title, account number or account name.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(required=False)
    account = forms.CharField(
        label="Account number",
        max_length=20,
        required=False,
        help_text="e.g. OV-1002345",
        validators=[RegexValidator(r"^OV-[0-9]{7}$", "An account number reads OV-1234567.")],
    )
    sort = forms.ChoiceField(label="Order", required=False)

    def __init__(self, *args, statuses: list[tuple[str, str]], sorts: list[tuple[str, str]], **kw):
        super().__init__(*args, **kw)
        for name, choices in (("status", [("", "Any status"), *statuses]), ("sort", sorts)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()
