from django.contrib import admin
from django.urls import include, path

from corp_billing.health import healthz

admin.site.site_header = "corp_billing administration"
admin.site.site_title = "corp_billing"

urlpatterns = [
    # Public, for load balancers: database, cache and job queue (corp_billing/health.py).
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("contacts.urls")),
    path("", include("quotes.urls")),
    path("", include("purchase_orders.urls")),
    path("", include("billing_center.urls")),
    path("", include("workflows.urls")),
    path("", include("finance.urls")),
]
