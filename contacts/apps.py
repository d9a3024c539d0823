from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Accounts and contacts"

    def ready(self):
        from . import receivers  # noqa: F401  (audit of events only third-party code sees)
