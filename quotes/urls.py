from django.urls import path

import corp_billing.converters  # noqa: F401  registers the key path converters

from . import views

app_name = "quotes"

urlpatterns = [
    path("quotes/", views.quote_list, name="list"),
    path("quotes/new/", views.quote_new, name="new"),
    path("accounts/<account_number:number>/quotes/new/", views.quote_create, name="create"),
    path("quotes/<quote_number:number>/", views.quote_detail, name="detail"),
    path("quotes/<quote_number:number>/edit/", views.quote_edit, name="edit"),
    path(
        "quotes/<quote_number:number>/new-revision/", views.quote_new_revision, name="new_revision"
    ),
    path(
        "quotes/<quote_number:number>/rev/<revision:rev>/", views.revision_detail, name="revision"
    ),
    path(
        "quotes/<quote_number:number>/rev/<revision:rev>/pdf/", views.revision_pdf_view, name="pdf"
    ),
    path(
        "quotes/<quote_number:number>/rev/<revision:rev>/pdf/as-accepted/",
        views.revision_pdf_view,
        {"original": True},
        name="pdf_original",
    ),
]
