from django.core.management.base import BaseCommand

from contacts import demo
from quotes import demo as quotes_demo


class Command(BaseCommand):
    help = "Loads the demo accounts, people and logins (idempotent: safe to run again)."

    def handle(self, *args, **options):
        self.stdout.write("Loading demo accounts and people…")
        created = demo.load(progress=self.stdout.write)
        self.stdout.write("Loading the price book…")
        created["products"] = quotes_demo.load(progress=self.stdout.write)
        summary = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({summary} created)."))
        self.stdout.write(f"Every demo login uses the password: {demo.DEMO_PASSWORD}")
