from django.urls import path

import corp_billing.converters  # noqa: F401  registers the key path converters

from . import views

app_name = "workflows"

urlpatterns = [
    path("tasks/", views.inbox, name="inbox"),
    path("quotes/<quote_number:number>/submit/", views.quote_submit, name="quote_submit"),
    path("quotes/<quote_number:number>/review/", views.quote_review, name="quote_review"),
    path(
        "quotes/<quote_number:number>/finance-review/",
        views.quote_finance_review,
        name="quote_finance_review",
    ),
    path("quotes/<quote_number:number>/decide/", views.quote_decide, name="quote_decide"),
    path(
        "quotes/<quote_number:number>/second-acceptance/",
        views.quote_second_accept,
        name="quote_second_accept",
    ),
    path("quotes/<quote_number:number>/withdraw/", views.quote_withdraw, name="quote_withdraw"),
    path(
        "accounts/<account_number:number>/contact-changes/",
        views.contact_change_propose,
        name="contact_change_propose",
    ),
    path(
        "contact-changes/<object_id:pk>/decide/",
        views.contact_change_decide,
        name="contact_change_decide",
    ),
    path(
        "contact-changes/<object_id:pk>/withdraw/",
        views.contact_change_withdraw,
        name="contact_change_withdraw",
    ),
    path(
        "purchase-orders/<object_id:pk>/propose/",
        views.po_change_propose,
        name="po_change_propose",
    ),
    path("po-changes/<object_id:pk>/review/", views.po_change_review, name="po_change_review"),
    path(
        "po-changes/<object_id:pk>/conflict/", views.po_change_conflict, name="po_change_conflict"
    ),
]
