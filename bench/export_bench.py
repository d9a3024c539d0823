"""Benchmark of finance's quotes register (issue 13): a table, not a timed test.

Builds a SQLite database of its own (in a temporary directory, dropped after) holding 100,000
quote revisions (10,000 of them on one account), then in the same run:

* **throughput**: the best of three interleaved rounds, in CPU time of the process (the machine
  is shared: wall-clock time measures the neighbours as much as us; it is reported too), of
  the register exported end to end (``finance.services.workbook_write``: the
  rows read from the database in batches, every text cell through ``safe_text``, amounts and
  dates typed) against bare openpyxl in write-only mode with lxml writing the same rows, already
  in memory, as the same typed cells (amounts and dates with their number formats; text as plain
  strings, as a naive exporter writes them). Goal: ours ≥ 0.9× the bare rows per second.
* **memory**: the peak of Python allocations (``tracemalloc``) while the register of 10,000 rows
  (one account) and of 100,000 rows is exported, each in a fresh process. Goal: the peak at
  100,000 within 1.3× of the peak at 10,000, i.e. flat.

Exit status: non-zero when a goal is missed. Writes ``bench/RESULTS-export.md``.

    .venv/bin/python bench/export_bench.py [--rows 100000] [--small 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THROUGHPUT_GOAL = 0.9
SMALL_ACCOUNT = "OV-3000000"
ROUNDS = 3
MEMORY_GOAL = 1.3


def setup_django(db_path: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corp_billing.settings")
    import django

    django.setup()


def seed(rows: int, small: int, write) -> None:
    import uuid
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from contacts.models import Account, AccountKind, StaffRole, User
    from quotes.models import Quote, QuoteRevision, RevisionStatus

    call_command("migrate", verbosity=0)
    rep = User.objects.create_user(
        username="bench.rep", first_name="Rita", last_name="Benchmark", staff_role="representative"
    )
    User.objects.create_user(username="bench.finance", staff_role=StaffRole.FINANCE)
    desk = User.objects.create_user(
        username="bench.desk", first_name="Dana", last_name="Desk", staff_role="deal_desk"
    )
    accounts = [
        Account.objects.create(
            number=f"OV-{3000000 + i}",
            name=f"Benchmark account {i} & Söhne",
            kind=AccountKind.CORPORATE,
            currency=("USD", "EUR", "JPY", "BHD")[i % 4],
        )
        for i in range(50)
    ]
    statuses = [s for s in RevisionStatus.values]
    now = timezone.now()
    batch = 5000
    made = 0
    while made < rows:
        count = min(batch, rows - made)
        with transaction.atomic():
            quotes = Quote.objects.bulk_create(
                [
                    Quote(
                        number=f"Q-2090-{made + i:08d}",
                        # the first ``small`` rows on the first account: its register is the
                        # 10,000-row export
                        account=accounts[0] if made + i < small else accounts[1 + (made + i) % 49],
                        title=f"Renewal {made + i}: =seats+{i % 7} for the year",
                        created_by=rep,
                        idempotency_key=uuid.uuid4(),
                    )
                    for i in range(count)
                ]
            )
            revisions = []
            for i, quote in enumerate(quotes):
                n = made + i
                total = Decimal(1000 + n % 997) + Decimal(n % 100) / 100
                status = statuses[n % len(statuses)]
                account = accounts[0] if n < small else accounts[1 + n % 49]
                revisions.append(
                    QuoteRevision(
                        quote=quote,
                        number=1,
                        status=status,
                        currency=account.currency,
                        valid_until=now.date() + timedelta(days=n % 60),
                        subtotal=total + 50,
                        discount_total=Decimal(50),
                        total=total,
                        created_by=rep,
                        sent_at=now - timedelta(hours=n % 500) if n % 3 else None,
                        decided_at=now - timedelta(hours=n % 300) if n % 2 else None,
                        approved_by=desk if n % 5 == 0 else None,
                        approved_at=now - timedelta(hours=n % 400) if n % 5 == 0 else None,
                    )
                )
            QuoteRevision.objects.bulk_create(revisions)
        made += count
        write(f"  seeded {made:,} of {rows:,} revisions")


def _our_export(account_number: str | None, out_path: str) -> int:
    from contacts.models import Account, User
    from finance import selectors, services

    user = User.objects.get(username="bench.finance")
    account = Account.objects.get(number=account_number) if account_number else None
    written = services.workbook_write(
        user=user,
        choice="quotes",
        filters=selectors.ExportFilters(account=account),
        out=out_path,
    )
    return written["quotes"]


def _bare_export(rows: list[list], out_path: str) -> int:
    """Bare openpyxl, write-only with lxml: the same header and rows, typed the same way."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from finance.exports import DATE_FORMAT, DATETIME_FORMAT, REGISTERS, money_format

    register = REGISTERS["quotes"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(register.sheet)
    sheet.freeze_panes = "A3"
    sheet.append(["Quotes register"])
    header = []
    for column in register.columns:
        cell = WriteOnlyCell(sheet, column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    kinds = [c.kind for c in register.columns]
    currency_index = [c.key for c in register.columns].index("currency")
    for values in rows:
        currency = values[currency_index]
        cells: list = []
        for kind, value in zip(kinds, values, strict=True):
            if value is None or kind in ("text", "integer"):
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, value)
            if kind == "money":
                cell.number_format = money_format(currency)
            elif kind == "date":
                cell.number_format = DATE_FORMAT
            else:
                cell.number_format = DATETIME_FORMAT
            cells.append(cell)
        sheet.append(cells)
    last = get_column_letter(len(register.columns))
    sheet.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    workbook.save(out_path)
    return len(rows)


def _rows_in_memory() -> list[list]:
    """The register's rows as the bare writer gets them: final values, read before timing."""
    import datetime

    from contacts.models import User
    from finance import selectors
    from finance.exports import REGISTERS
    from quotes.money import round_money

    user = User.objects.get(username="bench.finance")
    columns = REGISTERS["quotes"].columns
    found = []
    for row in selectors.register_rows(
        user=user, register="quotes", filters=selectors.ExportFilters()
    ):
        values = []
        currency = row[[c.key for c in columns].index("currency")]
        for index, column in enumerate(columns):
            value = row[index]
            if value == "":
                value = None
            if column.kind == "money" and value is not None:
                value = round_money(value, currency)
            if isinstance(value, datetime.datetime):
                value = value.astimezone(datetime.UTC).replace(tzinfo=None)
            values.append(value)
        found.append(values)
    return found


def memory_child(db_path: str, account_number: str) -> None:
    """Run in a fresh process: the peak of Python allocations while one export runs."""
    import resource
    import tracemalloc

    setup_django(db_path)
    from django.db import connection

    connection.ensure_connection()
    with tempfile.TemporaryDirectory() as directory:
        # Imports and caches first, on the small register (the large one would take as long
        # as the measured run).
        _our_export(SMALL_ACCOUNT, str(Path(directory) / "warm.xlsx"))
        tracemalloc.start()
        rows = _our_export(account_number or None, str(Path(directory) / "q.xlsx"))
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "peak": peak, "maxrss_kb": maxrss}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS-export.md"))
    parser.add_argument(
        "--memory-child", nargs=2, metavar=("DB", "ACCOUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0

    def write(line: str) -> None:
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="export-bench-") as directory:
        db_path = str(Path(directory) / "bench.sqlite3")
        setup_django(db_path)
        write(f"seeding {args.rows:,} quote revisions into {db_path}")
        seed(args.rows, args.small, write)

        write("throughput: ours (from the database) against bare openpyxl (rows in memory)")
        rows = _rows_in_memory()
        # Warm-up: the database file in the page cache, imports, style tables.
        _our_export(SMALL_ACCOUNT, str(Path(directory) / "warm.xlsx"))
        _bare_export(rows[: args.small], str(Path(directory) / "warm.xlsx"))
        # The machine is shared: the best of three rounds each, interleaved, is compared.
        ours_times, bare_times, ours_wall, bare_wall = [], [], [], []
        for round_number in range(ROUNDS):
            start, wall = time.process_time(), time.perf_counter()
            written = _our_export(None, str(Path(directory) / "ours.xlsx"))
            ours_times.append(time.process_time() - start)
            ours_wall.append(time.perf_counter() - wall)
            start, wall = time.process_time(), time.perf_counter()
            _bare_export(rows, str(Path(directory) / "bare.xlsx"))
            bare_times.append(time.process_time() - start)
            bare_wall.append(time.perf_counter() - wall)
            write(
                f"  round {round_number + 1}: ours {ours_times[-1]:.2f} s CPU "
                f"({ours_wall[-1]:.2f} s wall), bare {bare_times[-1]:.2f} s CPU "
                f"({bare_wall[-1]:.2f} s wall)"
            )
        assert written == len(rows) == args.rows, (written, len(rows))
        ours, bare = min(ours_times), min(bare_times)
        ratio = (args.rows / ours) / (args.rows / bare)
        wall_ratio = min(bare_wall) / min(ours_wall)
        size = (Path(directory) / "ours.xlsx").stat().st_size
        del rows

        write("memory: each export in a fresh process, traced")
        memory = {}
        for label, account in (("small", SMALL_ACCOUNT), ("large", "")):
            result = subprocess.run(  # noqa: S603  (our own script, fixed arguments)
                [sys.executable, __file__, "--memory-child", db_path, account],
                check=True,
                capture_output=True,
                text=True,
            )
            memory[label] = json.loads(result.stdout.strip().splitlines()[-1])
            write(f"  {memory[label]['rows']:,} rows: peak {memory[label]['peak'] / 2**20:.1f} MiB")
        growth = memory["large"]["peak"] / memory["small"]["peak"]

    ok_speed = ratio >= THROUGHPUT_GOAL
    ok_memory = growth <= MEMORY_GOAL
    table = "\n".join(
        [
            "| measure | value | goal | met |",
            "|---|---|---|---|",
            f"| quotes register, {args.rows:,} rows, ours (DB → xlsx) | {ours:.2f} s CPU "
            f"({args.rows / ours:,.0f} rows/s; {min(ours_wall):.2f} s wall), "
            f"{size / 2**20:.1f} MiB | | |",
            f"| same rows, bare openpyxl write-only + lxml | {bare:.2f} s CPU "
            f"({args.rows / bare:,.0f} rows/s; {min(bare_wall):.2f} s wall) | | |",
            f"| throughput ours / bare (CPU time) | {ratio:.2f}× | ≥ {THROUGHPUT_GOAL}× | "
            f"{'yes' if ok_speed else 'NO'} |",
            f"| throughput ours / bare (wall clock, for reference) | {wall_ratio:.2f}× | | |",
            f"| peak Python memory, {memory['small']['rows']:,} rows | "
            f"{memory['small']['peak'] / 2**20:.1f} MiB (maxrss "
            f"{memory['small']['maxrss_kb'] / 1024:.0f} MiB) | | |",
            f"| peak Python memory, {memory['large']['rows']:,} rows | "
            f"{memory['large']['peak'] / 2**20:.1f} MiB (maxrss "
            f"{memory['large']['maxrss_kb'] / 1024:.0f} MiB) | | |",
            f"| memory at {memory['large']['rows']:,} / at {memory['small']['rows']:,} | "
            f"{growth:.2f}× | ≤ {MEMORY_GOAL}× | {'yes' if ok_memory else 'NO'} |",
        ]
    )
    write(table)
    Path(args.output).write_text(
        "# Export benchmark (`bench/export_bench.py`, part of `make bench`)\n\n"
        f"SQLite, Python {sys.version.split()[0]}, {os.cpu_count()} cores; "
        f"written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n{table}\n"
    )
    return 0 if ok_speed and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
