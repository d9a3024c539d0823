from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Accounts and contacts"

    def ready(self):
        from django.db.models import ForeignKey, IntegerField

        from corp_billing.lookups import AnyOf

        from . import receivers  # noqa: F401  (audit of events only third-party code sees)

        # ``permissions`` scopes every list by ``account__any_of=`` / ``pk__any_of=``.
        IntegerField.register_lookup(AnyOf)
        ForeignKey.register_lookup(AnyOf)
