from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from corp_billing.widgets import LimitedTextarea
from quotes.money import MAX_AMOUNT

from .documents import MAX_BYTES
from .services import NewPurchaseOrder


class PurchaseOrderForm(forms.Form):
    number = forms.CharField(label="PO number", max_length=60)
    amount = forms.DecimalField(
        label="Authorised amount",
        max_digits=16,
        decimal_places=4,
        min_value=0,
        max_value=MAX_AMOUNT,
    )
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    document = forms.FileField(
        label="PO document (PDF, at most 10 MB)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def clean_document(self):
        document = self.cleaned_data.get("document")
        # The size is refused here too so a person learns it before anything else; the content
        # is checked by the service, which every path goes through.
        if document is not None and document.size > MAX_BYTES:
            raise ValidationError("The document is larger than 10 MB.")
        return document

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", "The end date is before the start date.")
        return cleaned

    def new(self) -> NewPurchaseOrder:
        data = self.cleaned_data
        return NewPurchaseOrder(
            number=data["number"],
            amount=data["amount"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            document=data.get("document"),
        )


class ChangeProposalForm(PurchaseOrderForm):
    reason = forms.CharField(widget=LimitedTextarea(attrs={"rows": 2}), max_length=2000)
    # The PO's version the person saw: a change made meanwhile is a conflict, not an overwrite.
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class ChangeReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        widget=LimitedTextarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == "reject" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say why the change is rejected; the proposer will read it.")
        return cleaned


class CloseForm(forms.Form):
    reason = forms.CharField(
        label="Why close it",
        widget=LimitedTextarea(attrs={"rows": 2}),
        max_length=500,
        help_text="Kept in the purchase order's history, and sent to your representative.",
    )


class ConflictForm(forms.Form):
    decision = forms.ChoiceField(choices=[("rebase", "Re-base"), ("withdraw", "Withdraw")])


class AcceptancePOForm(forms.Form):
    """The PO part of accepting a quote: a PO of the ledger, or a new one entered here."""

    purchase_order = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    po_number = forms.CharField(max_length=60, required=False)
    po_amount = forms.DecimalField(
        max_digits=16, decimal_places=4, min_value=0, max_value=MAX_AMOUNT, required=False
    )
    po_valid_from = forms.DateField(required=False)
    po_valid_to = forms.DateField(required=False)
    po_document = forms.FileField(required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("purchase_order") or not cleaned.get("po_number", "").strip():
            return cleaned
        for name, label in (
            ("po_amount", "the new PO's amount"),
            ("po_valid_from", "the date the new PO is valid from"),
            ("po_valid_to", "the date the new PO is valid to"),
        ):
            if cleaned.get(name) in (None, ""):
                self.add_error(name, f"Enter {label}.")
        return cleaned

    def new(self) -> NewPurchaseOrder | None:
        data = self.cleaned_data
        if data.get("purchase_order") or not data.get("po_number", "").strip():
            return None
        return NewPurchaseOrder(
            number=data["po_number"],
            amount=data["po_amount"],
            valid_from=data["po_valid_from"],
            valid_to=data["po_valid_to"],
            document=data.get("po_document"),
        )
