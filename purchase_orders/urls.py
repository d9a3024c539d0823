from django.urls import path

import corp_billing.converters  # noqa: F401  registers the key path converters

from . import views

app_name = "purchase_orders"

urlpatterns = [
    path("purchase-orders/", views.ledger_all, name="list"),
    path("accounts/<account_number:number>/purchase-orders/", views.ledger, name="ledger"),
    path("accounts/<account_number:number>/purchase-orders/new/", views.po_create, name="create"),
    path("purchase-orders/<object_id:pk>/", views.po_detail, name="detail"),
    path("purchase-orders/<object_id:pk>/close/", views.po_close, name="close"),
    path(
        "purchase-orders/documents/<object_id:pk>/",
        views.document_download,
        name="document",
    ),
]
