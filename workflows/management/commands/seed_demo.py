from django.core.management.base import BaseCommand

from billing_center import demo as billing_demo
from contacts import demo as contacts_demo
from quotes import demo as quotes_demo
from workflows import approvals_demo, contact_change_demo, finance_demo
from workflows import demo as workflows_demo


class Command(BaseCommand):
    """Seeds every app, so it lives in the top layer (workflows), the one app allowed to import
    all the others."""

    help = (
        "Loads the demo accounts, people, logins, price book and purchase orders (idempotent: "
        "safe to run again)."
    )

    def handle(self, *args, **options):
        self.stdout.write("Loading demo accounts and people…")
        created = contacts_demo.load(progress=self.stdout.write)
        self.stdout.write("Loading the price book…")
        created["products"] = quotes_demo.load(progress=self.stdout.write)
        self.stdout.write("Loading the demo billing-contact changes…")
        created["contact changes"] = contact_change_demo.load(progress=self.stdout.write)
        self.stdout.write("Loading purchase orders, quotes drawn on them and PO changes…")
        created["accounts with purchase orders"] = workflows_demo.load(progress=self.stdout.write)
        self.stdout.write("Loading the approval-tier and two-signature quotes…")
        created["approval demo quotes"] = approvals_demo.load(progress=self.stdout.write)
        self.stdout.write("Loading twelve months of quotes for the finance dashboards…")
        created["accounts with a year of quotes"] = finance_demo.load(progress=self.stdout.write)
        self.stdout.write("Loading the Billing Center's plans and billing history…")
        created["plans"] = billing_demo.load(progress=self.stdout.write)
        summary = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({summary} created)."))
        self.stdout.write(f"Every demo login uses the password: {contacts_demo.DEMO_PASSWORD}")
