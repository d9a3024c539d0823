from django.core.management.base import BaseCommand

from outbox.models import MailStatus
from outbox.services import MAX_ATTEMPTS, mail_send_due


class Command(BaseCommand):
    help = (
        "Sends the e-mail that is due: never sent yet, or failed and waited long enough. "
        "Idempotent and safe to run concurrently (each mail is claimed by one runner)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=100, help="mails claimed at a time (default 100)"
        )

    def handle(self, *args, batch: int, **options):
        sent = failed = gave_up = 0
        while mails := mail_send_due(limit=batch):
            for mail in mails:
                to = ", ".join(mail.to)
                if mail.status == MailStatus.SENT:
                    sent += 1
                    self.stdout.write(f"sent #{mail.pk} to {to}: {mail.subject}")
                elif mail.next_attempt_at is None:
                    gave_up += 1
                    self.stdout.write(
                        f"gave up #{mail.pk} to {to} after {MAX_ATTEMPTS} attempts: "
                        f"{mail.last_error}"
                    )
                else:
                    failed += 1
                    self.stdout.write(
                        f"failed #{mail.pk} to {to} (attempt {mail.attempts} of {MAX_ATTEMPTS}, "
                        f"next at {mail.next_attempt_at:%Y-%m-%d %H:%M:%S %Z}): {mail.last_error}"
                    )
        self.stdout.write(f"{sent} sent, {failed} failed (will retry), {gave_up} given up.")
