from django.urls import path

import corp_billing.converters  # noqa: F401  registers the key path converters

from . import views

app_name = "finance"

urlpatterns = [
    path("finance/exports/", views.exports_page, name="exports"),
    path("finance/exports/<object_id:pk>/", views.export_detail, name="export"),
    path("finance/exports/<object_id:pk>/file/", views.export_file, name="export_file"),
    path("finance/dashboard/", views.dashboard, name="dashboard"),
    path("finance/dashboard/quotes/", views.quotes_behind, name="quotes"),
    path(
        "finance/dashboard/purchase-orders/", views.purchase_orders_behind, name="purchase_orders"
    ),
]
