from django.apps import AppConfig


class BillingCenterConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing_center"
    verbose_name = "Billing Center"
