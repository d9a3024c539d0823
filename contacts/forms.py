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
