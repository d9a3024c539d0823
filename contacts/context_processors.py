from django.conf import settings
from django.urls import reverse


def portal(request):
    """The navigation a signed-in person sees: only features that exist and that they may use."""
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        if user.is_vendor_staff:
            nav.append(("Accounts", reverse("contacts:staff_home")))
        else:
            nav.append(("My account", reverse("contacts:home")))
        is_contact = (
            not user.is_vendor_staff and user.memberships.filter(role="billing_contact").exists()
        )
        if user.is_vendor_staff or is_contact:
            nav.append(("Quotes", reverse("quotes:list")))
            # Those who read ledgers: billing contacts, representatives and finance.
            if is_contact or user.staff_role in ("representative", "finance"):
                nav.append(("Purchase orders", reverse("purchase_orders:list")))
            nav.append(("My tasks", reverse("workflows:inbox")))
        if user.is_staff:
            nav.append(("Administration", reverse("admin:index")))
    return {"nav_items": nav, "product_name": settings.PRODUCT_NAME}
