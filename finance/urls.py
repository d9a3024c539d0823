from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("finance/exports/", views.exports_page, name="exports"),
    path("finance/exports/download/", views.export_download, name="export_download"),
    path("finance/dashboard/", views.dashboard, name="dashboard"),
    path("finance/dashboard/quotes/", views.quotes_behind, name="quotes"),
    path(
        "finance/dashboard/purchase-orders/", views.purchase_orders_behind, name="purchase_orders"
    ),
]
