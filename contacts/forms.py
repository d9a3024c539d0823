from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from .validators import LOGIN_ID_HELP, validate_login_id

INVALID_LOGIN_MESSAGE = "Invalid User ID/password"
INVALID_LOGIN_EXPLANATION = (
    "It means either you aren't a billing contact for the account, or you used the wrong "
    "user ID and password."
)


class LoginForm(forms.Form):
    username = forms.CharField(
        label="User ID",
        max_length=254,
        help_text=LOGIN_ID_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, portal: str, *args, **kwargs):
        self.request = request
        self.portal = portal
        self.user: Any = None
        super().__init__(*args, **kwargs)

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        validate_login_id(value)
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        username, password = cleaned.get("username"), cleaned.get("password")
        if username and password:
            self.user = authenticate(
                self.request, username=username, password=password, portal=self.portal
            )
            if self.user is None:
                raise ValidationError(INVALID_LOGIN_MESSAGE, code="invalid_login")
        return cleaned


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in: the same User ID check as the portals before the same backend and
    lockout, so a look-alike (``admın``) is refused as a format error and never reaches them."""

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        validate_login_id(value)
        return value


class PasswordResetRequestForm(forms.Form):
    username = forms.CharField(
        label="User ID",
        max_length=254,
        help_text=LOGIN_ID_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        validate_login_id(value)
        return value


class BillingAdminEmailForm(forms.Form):
    message = forms.CharField(
        label="Your message",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Say what product or licensing change you need. Your billing admin can reply "
        "to your e-mail address.",
    )


# --- billing-contact changes -------------------------------------------------------------------


class _ReauthenticatedForm(forms.Form):
    """A proposal is made with the proposer's password re-entered: a session left open on a
    shared computer must not be enough to hand the account to someone else."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to propose this change.",
    )


class ContactAddForm(_ReauthenticatedForm):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="E-mail address", max_length=254)
    login_id = forms.CharField(label="New billing User ID", max_length=150, help_text=LOGIN_ID_HELP)

    field_order = ["first_name", "last_name", "email", "login_id", "password"]

    def clean_login_id(self):
        value = self.cleaned_data["login_id"].strip()
        validate_login_id(value)
        return value


class _ContactChoiceForm(_ReauthenticatedForm):
    """Chooses one of the account's billing contacts (``contacts``: their memberships)."""

    target = forms.TypedChoiceField(label="Billing contact", coerce=int)
    field_order = ["target", "password"]

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        assert isinstance(target, forms.TypedChoiceField)
        target.choices = [("", "—")] + [
            (m.user_id, f"{m.user.display_name} ({m.user.username})")
            for m in contacts
            if self.offers(m)
        ]

    def offers(self, membership) -> bool:
        return True


class ContactRemoveForm(_ContactChoiceForm):
    pass


class ContactMakePrimaryForm(_ContactChoiceForm):
    def offers(self, membership) -> bool:
        return not membership.is_primary


# The proposal forms by the change's kind (the page posts it as ``kind``, outside the prefix),
# each with its own prefix so that the three can share one page.
PROPOSAL_FORMS: dict[str, type[_ReauthenticatedForm]] = {
    "add": ContactAddForm,
    "remove": ContactRemoveForm,
    "make_primary": ContactMakePrimaryForm,
}


def proposal_form(kind: str, contacts, data=None) -> _ReauthenticatedForm:
    form_class = PROPOSAL_FORMS[kind]
    kwargs = {} if form_class is ContactAddForm else {"contacts": contacts}
    return form_class(data=data, prefix=kind, **kwargs)


class ContactChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("decline", "Decline")])
    comment = forms.CharField(
        label="Comment", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "decline" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say why you decline: the billing contacts are told.")
        return cleaned


class SecondAcceptanceAmountForm(forms.Form):
    """The amount above which a quote needs two different billing contacts to accept it."""

    amount = forms.DecimalField(
        label="Second billing contact needed above",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="In the account's currency. Leave empty so that one billing contact is enough.",
    )
