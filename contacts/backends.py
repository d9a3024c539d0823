from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .models import AccountKind, MembershipRole
from .validators import normalise_login_id

CORPORATE_PORTAL = "corporate"
BILLING_CENTER = "billing_center"
# The vendor's own people (representatives, deal desk, finance, administrators).
STAFF_PORTAL = "staff"


def axes_username(request, credentials) -> str:
    """Throttle on the login ID's normal form, the one that is stored and looked up, so every
    way of typing one ID (ACME.AP, fullwidth letters) shares one failure count."""
    return normalise_login_id((credentials or {}).get("username") or "")


def may_enter_portal(user, portal: str | None) -> bool:
    if portal == STAFF_PORTAL:
        return user.is_vendor_staff or user.is_superuser
    if portal == CORPORATE_PORTAL:
        # Only billing contacts of corporate accounts hold a billing User ID.
        return user.memberships.filter(
            role=MembershipRole.BILLING_CONTACT, account__kind=AccountKind.CORPORATE
        ).exists()
    return user.is_vendor_staff or user.is_superuser or user.memberships.exists()


class LoginIdBackend(ModelBackend):
    """Signs in by login ID (its normal form, matched exactly) into one portal.

    Unknown ID, wrong password and "not allowed into this portal" all return ``None`` after the
    same password-hashing work, so neither the answer nor its timing tells which IDs exist.
    """

    def authenticate(self, request, username=None, password=None, portal=None, **kwargs):
        if not username or password is None:
            return None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.by_login_id(username).get()
        except user_model.DoesNotExist:
            user_model().set_password(password)
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        if not may_enter_portal(user, portal):
            return None
        return user
