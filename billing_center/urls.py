from django.urls import path

import corp_billing.converters  # noqa: F401  registers the key path converters

from . import views

app_name = "billing_center"

ACCOUNT = "billing-center/<account_number:number>/"
PLAN = ACCOUNT + "plans/<object_id:plan>/"
INVOICE = ACCOUNT + "invoices/<invoice_number:invoice>/"
METHOD = ACCOUNT + "payment/<object_id:method>/"

urlpatterns = [
    path("billing-center/", views.home, name="home"),
    path(ACCOUNT, views.account, name="account"),
    path(ACCOUNT + "plans/add/", views.plan_add, name="plan_add"),
    path(PLAN + "seats/", views.plan_seats, name="plan_seats"),
    path(PLAN + "frequency/", views.plan_frequency, name="plan_frequency"),
    path(PLAN + "change/", views.plan_change, name="plan_change"),
    path(PLAN + "cancel/", views.plan_cancel, name="plan_cancel"),
    path(PLAN + "undo-cancel/", views.plan_undo_cancel, name="plan_undo_cancel"),
    path(PLAN + "withdraw-change/", views.plan_withdraw_change, name="plan_withdraw_change"),
    path(ACCOUNT + "invoices/", views.invoices, name="invoices"),
    path(INVOICE, views.invoice, name="invoice"),
    path(INVOICE + "pdf/", views.invoice_pdf_view, name="invoice_pdf"),
    path(INVOICE + "pay/", views.invoice_pay, name="invoice_pay"),
    path(ACCOUNT + "payment/", views.payment, name="payment"),
    path(METHOD + "default/", views.payment_make_default, name="payment_default"),
    path(METHOD + "remove/", views.payment_remove, name="payment_remove"),
]
