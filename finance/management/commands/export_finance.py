import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from contacts.models import Account, User
from finance import exports, selectors, services


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    """The export page's workbooks, written to a file for scheduled runs, with a progress line
    per 5,000 rows. Runs as a finance login, scoped as the page is."""

    help = "Writes finance's spreadsheet export (a register, or all of them) to an .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The finance login the export runs as.")
        parser.add_argument("--output", required=True, help="The .xlsx file to write.")
        parser.add_argument(
            "--register", default=exports.ALL, choices=[exports.ALL, *exports.REGISTERS]
        )
        parser.add_argument("--from", dest="date_from", type=_date)
        parser.add_argument("--to", dest="date_to", type=_date)
        parser.add_argument("--account", default="", help="An account number, e.g. OV-1002345.")
        parser.add_argument("--status", default="", choices=["", *selectors.STATUS_LABELS])
        parser.add_argument("--currency", default="")

    def handle(self, *args, **options):
        user = User.objects.by_login_id(options["user"]).first()
        if user is None or not selectors.may_export(user):
            raise CommandError(f"{options['user']} is not a finance login that may export.")
        account = None
        if options["account"]:
            account = Account.objects.filter(number=options["account"].upper()).first()
            if account is None:
                raise CommandError(f"No account {options['account']}.")
        filters = selectors.ExportFilters(
            date_from=options["date_from"],
            date_to=options["date_to"],
            account=account,
            status=options["status"],
            currency=options["currency"].upper(),
        )
        tty = sys.stdout.isatty()

        def progress(register: str, rows: int) -> None:
            line = f"  {register}: {rows:,} rows"
            if tty:
                self.stdout.write(f"\r{line}", ending="")
            else:
                self.stdout.write(line)

        self.stdout.write(f"Writing {options['register']} to {options['output']}…")
        written = services.workbook_write(
            user=user,
            choice=options["register"],
            filters=filters,
            out=options["output"],
            progress=progress,
        )
        if tty:
            self.stdout.write("")
        total = sum(written.values())
        summary = ", ".join(f"{key} {n:,}" for key, n in written.items())
        self.stdout.write(self.style.SUCCESS(f"Done: {total:,} rows ({summary})."))
