from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .models import AccountKind, MembershipRole

CORPORATE_PORTAL = "corporate"
BILLING_CENTER = "billing_center"


def axes_username(request, credentials) -> str:
    """Throttle on the login ID as the database sees it (case-insensitive), so ACME.AP and
    acme.ap share one failure count."""
    return (credentials or {}).get("username", "").strip().lower()


def may_enter_portal(user, portal: str | None) -> bool:
    if portal == CORPORATE_PORTAL:
        # Only billing contacts of corporate accounts hold a billing User ID.
        return user.memberships.filter(
            role=MembershipRole.BILLING_CONTACT, account__kind=AccountKind.CORPORATE
        ).exists()
    return user.is_vendor_staff or user.is_superuser or user.memberships.exists()


class LoginIdBackend(ModelBackend):
    """Signs in by login ID, case-insensitively, into one portal.

    Unknown ID, wrong password and "not allowed into this portal" all return ``None`` after the
    same password-hashing work, so neither the answer nor its timing tells which IDs exist.
    """

    def authenticate(self, request, username=None, password=None, portal=None, **kwargs):
        if not username or password is None:
            return None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(username__iexact=username.strip())
        except user_model.DoesNotExist:
            user_model().set_password(password)
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        if not may_enter_portal(user, portal):
            return None
        return user
