"""The export form and the filters of the dashboard and of the lists behind its charts."""

import datetime
import re

from django import forms

from contacts.currencies import CURRENCY_CHOICES

from . import exports, selectors

REGISTER_CHOICES = [
    (exports.ALL, "Everything: one workbook, a sheet per register"),
    *[(r.key, r.title) for r in exports.REGISTERS.values()],
]
STATUS_CHOICES = [("", "Any status")] + sorted(
    {(value, label) for value, label in selectors.STATUS_LABELS.items()}, key=lambda c: c[1]
)
ANY_CURRENCY = [("", "Any currency"), *CURRENCY_CHOICES]
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ExportForm(forms.Form):
    register = forms.ChoiceField(choices=REGISTER_CHOICES, initial=exports.ALL, required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.CharField(
        required=False, max_length=10, help_text="An account number, e.g. OV-1002345."
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    currency = forms.ChoiceField(choices=ANY_CURRENCY, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_register(self):
        # No choice made: the workbook of every register.
        return self.cleaned_data["register"] or exports.ALL

    def clean_account(self):
        number = self.cleaned_data["account"].strip().upper()
        if not number:
            return None
        account = selectors.export_accounts(user=self.user, number=number)
        if account is None:
            raise forms.ValidationError("No account with this number.")
        return account

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the range is before its start.")
        return data

    def filters(self) -> selectors.ExportFilters:
        data = self.cleaned_data
        return selectors.ExportFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            account=data["account"],
            status=data["status"],
            currency=data["currency"],
        )


class MonthField(forms.Field):
    """``YYYY-MM``, as the chart links write a month."""

    def to_python(self, value):
        if not value:
            return None
        match = MONTH.match(str(value))
        try:
            if match is None:
                raise ValueError
            return datetime.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise forms.ValidationError("A month is written YYYY-MM.") from None


class DashboardForm(forms.Form):
    currency = forms.ChoiceField(choices=ANY_CURRENCY, required=False)


class QuotesBehindForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "")] + [(v, v) for v in sorted(selectors.STATUSES["quotes"])],
        required=False,
    )
    group = forms.ChoiceField(
        choices=[("", "")] + [(g, g) for g in selectors.GROUPS], required=False
    )
    month = MonthField(required=False)
    sent_month = MonthField(required=False)
    currency = forms.ChoiceField(choices=ANY_CURRENCY, required=False)
    expiring = forms.BooleanField(required=False)
    approved = forms.BooleanField(required=False)

    def filters(self) -> selectors.ListFilters:
        return selectors.ListFilters(**self.cleaned_data)

    def describe(self) -> str:
        data = self.cleaned_data
        parts = []
        if data["status"]:
            parts.append(f"status {selectors.STATUS_LABELS[data['status']]}")
        if data["group"]:
            parts.append(f"{selectors.GROUP_LABELS[data['group']].lower()} quotes")
        if data["month"]:
            parts.append(f"created in {data['month']:%B %Y}")
        if data["sent_month"]:
            parts.append(f"sent in {data['sent_month']:%B %Y}")
        if data["currency"]:
            parts.append(f"in {data['currency']}")
        if data["expiring"]:
            parts.append(f"sent, expiring within {selectors.EXPIRY_DAYS} days")
        if data["approved"]:
            parts.append("approved by deal desk")
        return ", ".join(parts) or "all quotes"


class POsBehindForm(forms.Form):
    expiring = forms.BooleanField(required=False)
    account = forms.CharField(required=False, max_length=10)
