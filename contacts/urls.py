from django.urls import path

import corp_billing.converters  # noqa: F401  registers the key path converters

from . import views
from .backends import BILLING_CENTER, CORPORATE_PORTAL, STAFF_PORTAL

app_name = "contacts"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, {"portal": BILLING_CENTER}, name="login"),
    path(
        "corp-billing/login/",
        views.login_view,
        {"portal": CORPORATE_PORTAL},
        name="corporate_login",
    ),
    path("staff/login/", views.login_view, {"portal": STAFF_PORTAL}, name="staff_login"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset_view, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done_view, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        views.password_reset_complete_view,
        name="password_reset_complete",
    ),
    path("invitation/<uidb64>/<token>/", views.invitation_view, name="invitation"),
    path("accounts/<account_number:number>/", views.account_home, name="account_home"),
    path(
        "accounts/<account_number:number>/email-billing-admin/",
        views.email_billing_admin,
        name="email_billing_admin",
    ),
    path(
        "accounts/<account_number:number>/second-acceptance/",
        views.second_acceptance_amount,
        name="second_acceptance_amount",
    ),
    path(
        "accounts/<account_number:number>/contacts/<object_id:user_id>/invitation/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path("staff/", views.staff_home, name="staff_home"),
]
