from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("tasks/", views.inbox, name="inbox"),
    path("quotes/<str:number>/submit/", views.quote_submit, name="quote_submit"),
    path("quotes/<str:number>/review/", views.quote_review, name="quote_review"),
    path("quotes/<str:number>/decide/", views.quote_decide, name="quote_decide"),
    path("quotes/<str:number>/withdraw/", views.quote_withdraw, name="quote_withdraw"),
]
