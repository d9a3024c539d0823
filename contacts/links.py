"""Links in e-mail that lead through the sign-in of the recipient's own site.

A link to a page of the Corporate Billing Portal opened by someone not signed in would land on
the default sign-in (the Billing Center's), where a corporate billing contact is in the wrong
place. So a corporate e-mail links to the Corporate Billing Portal's sign-in and a staff e-mail
to the staff sign-in, each with ``next`` set to the page; the sign-in page sends someone already
signed in straight on, and everyone else there once they have signed in.
"""

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from .backends import BILLING_CENTER, CORPORATE_PORTAL, STAFF_PORTAL

LOGIN_URL_NAMES = {
    CORPORATE_PORTAL: "contacts:corporate_login",
    BILLING_CENTER: "contacts:login",
    STAFF_PORTAL: "contacts:staff_login",
}


def sign_in_link(path: str, *, portal: str) -> str:
    """The absolute link (``SITE_URL``) to ``path`` through ``portal``'s sign-in."""
    login = reverse(LOGIN_URL_NAMES[portal])
    return f"{settings.SITE_URL}{login}?next={quote(path, safe='/')}"
