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
        if user.is_vendor_staff or user.memberships.filter(role="billing_contact").exists():
            nav.append(("Quotes", reverse("quotes:list")))
            nav.append(("My tasks", reverse("workflows:inbox")))
        if user.is_staff:
            nav.append(("Administration", reverse("admin:index")))
    return {"nav_items": nav, "product_name": settings.PRODUCT_NAME}
