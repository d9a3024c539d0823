from django.conf import settings
from django.urls import reverse

from .models import AccountKind, MembershipRole
from .permissions import staff_wide_permissions

BILLING_CENTER_NAME = "Billing Center"
CORPORATE_PORTAL_NAME = "Corporate Billing Portal"
STAFF_SITE_NAME = "billing (staff)"


def _site_name(request, user, memberships) -> str:
    """Which of the two sites this page belongs to, for its header: by the URL where it says
    (each site's own pages and sign-in), else by the person (a billing contact of a corporate
    account is in the Corporate Billing Portal, other customers in the Billing Center)."""
    path = request.path
    if path.startswith("/corp-billing/"):
        return CORPORATE_PORTAL_NAME
    if path.startswith(("/billing-center/", "/login/")):
        return BILLING_CENTER_NAME
    if path.startswith("/staff/login/"):
        return STAFF_SITE_NAME
    if user is None or not user.is_authenticated:
        return "billing"
    if user.is_vendor_staff:
        return STAFF_SITE_NAME
    corporate = any(
        kind == AccountKind.CORPORATE and role == MembershipRole.BILLING_CONTACT
        for kind, role in memberships
    )
    return CORPORATE_PORTAL_NAME if corporate else BILLING_CENTER_NAME


def portal(request):
    """The navigation a signed-in person sees: only features that exist and that they may use."""
    user = getattr(request, "user", None)
    nav = []
    memberships: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated:
        # One query for a customer; none for vendor staff, whose pages depend on no membership.
        if not user.is_vendor_staff:
            memberships = list(user.memberships.values_list("account__kind", "role"))
        roles = {role for _, role in memberships}
        if user.is_vendor_staff:
            nav.append(("Accounts", reverse("contacts:staff_home")))
        else:
            nav.append(("My account", reverse("contacts:home")))
        is_contact = MembershipRole.BILLING_CONTACT in roles
        if any(kind == AccountKind.SELF_SERVICE for kind, _ in memberships):
            nav.append(("Billing Center", reverse("billing_center:home")))
        # Quotes, POs and tasks are the Corporate Billing Portal's: a billing contact of
        # self-service accounts only has nothing there.
        corporate_contact = any(
            kind == AccountKind.CORPORATE and role == MembershipRole.BILLING_CONTACT
            for kind, role in memberships
        )
        if user.is_vendor_staff or corporate_contact:
            nav.append(("Quotes", reverse("quotes:list")))
            # Those who read ledgers: billing contacts, representatives and finance.
            if is_contact or user.staff_role in ("representative", "finance"):
                nav.append(("Purchase orders", reverse("purchase_orders:list")))
            nav.append(("My tasks", reverse("workflows:inbox")))
        if user.is_vendor_staff:
            nav.append(("Dashboard", reverse("finance:dashboard")))
        # The exports are finance's alone (the staff-wide right ``export_finance``).
        if "export_finance" in staff_wide_permissions(user):
            nav.append(("Exports", reverse("finance:exports")))
        if user.is_staff:
            nav.append(("Administration", reverse("admin:index")))
    return {
        "nav_items": nav,
        "product_name": settings.PRODUCT_NAME,
        "site_name": _site_name(request, user, memberships),
    }
