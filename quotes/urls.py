from django.urls import path

from . import views

app_name = "quotes"

urlpatterns = [
    path("quotes/", views.quote_list, name="list"),
    path("accounts/<str:number>/quotes/new/", views.quote_create, name="create"),
    path("quotes/<str:number>/", views.quote_detail, name="detail"),
    path("quotes/<str:number>/edit/", views.quote_edit, name="edit"),
    path("quotes/<str:number>/new-revision/", views.quote_new_revision, name="new_revision"),
    path("quotes/<str:number>/rev/<int:rev>/", views.revision_detail, name="revision"),
    path("quotes/<str:number>/rev/<int:rev>/pdf/", views.revision_pdf_view, name="pdf"),
    path(
        "quotes/<str:number>/rev/<int:rev>/pdf/as-accepted/",
        views.revision_pdf_view,
        {"original": True},
        name="pdf_original",
    ),
]
