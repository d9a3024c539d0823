"""Page benchmark on scale data: how the portal's pages hold up at 10,000 accounts.

Run from the repository root: ``.venv/bin/python bench/pages_bench.py [--size small|full]``.
It creates a PostgreSQL database of its own on 127.0.0.1:5432 (user postgres; ``BENCH_PG_URL``
overrides the server), migrates it, fills it with ``seed_scale`` and drops it afterwards.

For a billing contact, a representative on 50 accounts, deal desk and finance it times the quote
list, the quote page (20 and 500 lines), the inbox, the account home and the staff home, and a
*bare page*: a signed-in page of the same layout rendering 50 rows from one query (a bench-only
URL, not in the product). Requests are interleaved, round after round, in shuffled order, so a
busy spell of the machine slows every page alike. Prints a Markdown table and writes it to
``bench/RESULTS.md``. Exits 1 when a goal is missed:

* every list page (quote list, inbox, staff home) at least 0.5x the bare page's throughput, for
  the billing contact, the representative on 50 accounts, deal desk and finance;
* a representative's quote list at 1,000 accounts within 1.5x of the same at 10 accounts;
* the quote page with 500 lines at most 3x the 20-line page;
* every staff dashboard (``/finance/dashboard/``, issue 13) under 0.5 s median.

``--permissions generic`` measures the same pages with the per-account grants read from
guardian's generic tables (text ``object_pk``, as before the direct foreign-key tables).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import psycopg  # noqa: E402

from bench.results import write_section  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
GOAL_LIST_RATIO = 0.5
GOAL_REP_GROWTH = 1.5
GOAL_LINES_GROWTH = 3.0
GOAL_DASHBOARD_SECONDS = 0.5


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django(db_name: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_URL.replace('postgresql://', 'postgres://')}/{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corp_billing.settings")
    # As served: DEBUG off (no query log, no template debug data on every node).
    os.environ["DEBUG"] = "False"
    import django
    from django.conf import settings

    django.setup()
    # The bench's URLs: the product's plus the bare page (see bench/urls.py).
    settings.ROOT_URLCONF = "bench.urls"
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclasses.dataclass
class Case:
    role: str
    page: str
    client: object
    url: str
    times: list = dataclasses.field(default_factory=list)
    queries: int = 0
    status: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def use_generic_permissions() -> None:
    """Reads the grants the way guardian's generic tables allow (``account.id::text IN
    (object_pk …)``), after copying every direct grant into them: the "before" variant."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField
    from django.db.models.functions import Cast
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from contacts import permissions
    from contacts.models import Account, AccountGroupObjectPermission

    ctype = ContentType.objects.get_for_model(Account)
    rows = AccountGroupObjectPermission.objects.values_list(
        "group_id", "permission_id", "content_object_id"
    )
    batch = [
        GroupObjectPermission(group_id=g, permission_id=p, content_type=ctype, object_pk=str(a))
        for g, p, a in rows.iterator(chunk_size=5000)
    ]
    GroupObjectPermission.objects.bulk_create(batch, batch_size=5000, ignore_conflicts=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    def account_ids_with_permission(user, codename="view_account"):
        keys = GroupObjectPermission.objects.filter(
            group__user=user, content_type=ctype, permission__codename=codename
        ).values("object_pk")
        user_keys = UserObjectPermission.objects.filter(
            user=user, content_type=ctype, permission__codename=codename
        ).values("object_pk")
        return list(
            Account.objects.annotate(key=Cast("pk", CharField()))
            .filter(key__in=keys.union(user_keys))
            .values_list("pk", flat=True)
        )

    def permissions_by_account(user, accounts):
        pks = [a.pk for a in accounts]
        if not user.is_authenticated or not pks:
            return {pk: frozenset() for pk in pks}
        wide = frozenset(permissions.staff_wide_permissions(user))
        found = {str(pk): set() for pk in pks}
        for key, code in GroupObjectPermission.objects.filter(
            group__user=user, content_type=ctype, object_pk__in=list(found)
        ).values_list("object_pk", "permission__codename"):
            found[key].add(code)
        return {int(k): frozenset(v) | wide for k, v in found.items()}

    def account_ids_by_permission(user, codenames):
        return {c: account_ids_with_permission(user, c) for c in codenames}

    permissions.account_ids_with_permission = account_ids_with_permission
    permissions.account_ids_by_permission = account_ids_by_permission
    permissions.permissions_by_account = permissions_by_account


def prepare(args, write):
    from django.core.management import call_command
    from django.test import Client

    from contacts.models import Membership, MembershipRole, StaffRole, User
    from quotes.policy import Action
    from workflows import scale
    from workflows import services as flow_services

    size = scale.SIZES[args.size]
    overrides = {k: getattr(args, k) for k in ("accounts", "quotes") if getattr(args, k)}
    size = dataclasses.replace(size, **overrides)
    call_command("migrate", verbosity=0)
    people = scale.seed(size, write=write, prefix="bench.")

    # A representative on 10 and one on 1,000 accounts (or all there are), granted exactly as
    # the product grants; and two quotes of 20 and 500 lines sent to the contact's account.
    accounts = people.accounts
    big = min(1000, len(accounts))
    write(f"granting a representative 10 accounts and one {big}")
    reps = {}
    for n in (10, big):
        rep = User.objects.create_user(
            username=f"bench.rep.on{n}", password="x", staff_role=StaffRole.REPRESENTATIVE
        )
        chosen = accounts[-n:]
        Membership.objects.bulk_create(
            [Membership(account=a, user=rep, role=MembershipRole.REPRESENTATIVE) for a in chosen]
        )
        scale.grant_in_bulk([(rep, a, MembershipRole.REPRESENTATIVE) for a in chosen])
        reps[n] = rep
    args.big = big
    account = accounts[len(accounts) // 2]
    contact = User.objects.get(pk=people.contacts[account.pk][0])
    rep50 = User.objects.get(pk=people.rep_of[account.pk])
    write(f"building quotes of 20 and 500 lines on {account.number} through the services")
    quotes = {}
    for lines in (20, 500):
        quote = scale.build_quote(account, rep50, lines=lines, title=f"{lines} lines")
        flow_services.quote_submit(quote=quote, actor=rep50)
        quote.refresh_from_db()
        if quote.current_revision.status == "pending_approval":  # a big one crosses a rule
            flow_services.quote_approve(quote=quote, actor=people.deal_desk, comment="ok")
            quote.refresh_from_db()
        if quote.current_revision.status == "pending_finance":  # and a finance-tier one
            flow_services.quote_approve(
                quote=quote, actor=people.finance, comment="ok", action=Action.FINANCE_APPROVE
            )
        quotes[lines] = quote.number
    from django.db import connection

    with connection.cursor() as cursor:  # the grants and quotes just added, as autovacuum would
        cursor.execute("VACUUM ANALYZE")
    if args.permissions == "generic":
        write("copying the grants into guardian's generic tables and reading them from there")
        use_generic_permissions()

    def client_for(user):
        client = Client()
        client.force_login(user, backend="contacts.backends.LoginIdBackend")
        return client

    users = {
        "billing contact": contact,
        f"rep (seeded, {size.accounts_per_rep} accounts)": rep50,
        "deal desk": people.deal_desk,
        "finance": people.finance,
    }
    args.roles = set(users)
    cases = []
    for role, user in users.items():
        client = client_for(user)
        pages = {
            "bare page (50 rows, 1 query)": "/bench/bare/",
            "quote list": "/quotes/",
            "quote page, 20 lines": f"/quotes/{quotes[20]}/",
            "quote page, 500 lines": f"/quotes/{quotes[500]}/",
            "inbox": "/tasks/",
            "account home": f"/accounts/{account.number}/",
        }
        if user.is_vendor_staff:
            pages["staff home"] = "/staff/"
            pages["dashboard"] = "/finance/dashboard/"  # issue 13: < 0.5 s median
        for page, url in pages.items():
            cases.append(Case(role, page, client, url))
    for n, rep in reps.items():
        client = client_for(rep)
        bare = "bare page (50 rows, 1 query)"
        cases.append(Case(f"rep on {n} accounts", bare, client, "/bench/bare/"))
        cases.append(Case(f"rep on {n} accounts", "quote list", client, "/quotes/"))
        cases.append(Case(f"rep on {n} accounts", "inbox", client, "/tasks/"))
        cases.append(Case(f"rep on {n} accounts", "staff home", client, "/staff/"))
        cases.append(Case(f"rep on {n} accounts", "dashboard", client, "/finance/dashboard/"))
    return size, cases


def measure(cases, rounds: int, write) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for case in cases:  # warm-up, and the query count
        case.client.get(case.url)
        with CaptureQueriesContext(connection) as ctx:
            response = case.client.get(case.url)
        case.queries = len(ctx.captured_queries)
        case.status = response.status_code
    order = list(cases)
    for r in range(rounds):
        random.shuffle(order)
        for case in order:
            start = time.perf_counter()
            case.client.get(case.url)
            case.times.append(time.perf_counter() - start)
        if (r + 1) % max(1, rounds // 5) == 0:
            write(f"round {r + 1}/{rounds}")


def report(size, cases, args) -> tuple[str, list[str]]:
    bare = {c.role: c for c in cases if c.page.startswith("bare")}
    by = {(c.role, c.page): c for c in cases}
    lists = ("quote list", "inbox", "staff home")
    misses = []
    lines = [
        f"### Pages at {size.accounts:,} accounts, {size.quotes:,} quotes "
        f"(`--size {args.size}`, permissions: {args.permissions} tables, {args.rounds} rounds)",
        "",
        "| role | page | status | median ms | p95 ms | queries | throughput vs bare page |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        ratio = bare[c.role].median / c.median
        goal = ""
        # The list goal is the issue's, for its four roles; the representatives on 10 and 1,000
        # accounts are there for the growth goal below.
        if c.page in lists and c.role in args.roles:
            ok = ratio >= GOAL_LIST_RATIO
            goal = "" if ok else " **(goal ≥ 0.5)**"
            if not ok:
                misses.append(f"{c.role} {c.page}: {ratio:.2f}x the bare page")
        if c.status != 200:
            misses.append(f"{c.role} {c.page}: HTTP {c.status}")
        lines.append(
            f"| {c.role} | {c.page} | {c.status} | {c.median * 1000:.1f} | {c.p95 * 1000:.1f} | "
            f"{c.queries} | {ratio:.2f}×{goal} |"
        )
    lines.append("")
    # Issue 13: every dashboard renders in under half a second (median) at this size.
    for c in cases:
        if c.page == "dashboard" and c.median > GOAL_DASHBOARD_SECONDS:
            misses.append(f"{c.role} dashboard: {c.median * 1000:.0f} ms median")
    slowest = max((c.median for c in cases if c.page == "dashboard"), default=0.0)
    lines.append(
        f"* Slowest dashboard (median): **{slowest * 1000:.0f} ms** "
        f"(goal < {GOAL_DASHBOARD_SECONDS * 1000:.0f} ms)"
    )
    big = args.big
    rep_small, rep_big = (
        by[("rep on 10 accounts", "quote list")],
        by[(f"rep on {big} accounts", "quote list")],
    )
    growth = rep_big.median / rep_small.median
    lines.append(
        f"* Representative's quote list, {big} accounts vs 10: **{growth:.2f}×** "
        f"(goal ≤ {GOAL_REP_GROWTH}×)"
    )
    if growth > GOAL_REP_GROWTH:
        misses.append(f"rep quote list {big} vs 10 accounts: {growth:.2f}x")
    for role in bare:
        small = by.get((role, "quote page, 20 lines"))
        large = by.get((role, "quote page, 500 lines"))
        if small and large:
            g = large.median / small.median
            lines.append(
                f"* Quote page 500 vs 20 lines, {role}: **{g:.2f}×** (goal ≤ {GOAL_LINES_GROWTH}×)"
            )
            if g > GOAL_LINES_GROWTH:
                misses.append(f"{role} quote page 500 vs 20 lines: {g:.2f}x")
    lines.append("")
    return "\n".join(lines), misses


HEADER = """# Page benchmark results

Written by `bench/pages_bench.py` (`make bench`, `make bench-small`): wall-clock time per request
through Django's test client on PostgreSQL, the machine's other load included; each run replaces
its own section (size and permission storage) and keeps the others.
"""


def write_results(path: Path, key: str, table: str) -> None:
    write_section(path, HEADER, key, table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--quotes", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--permissions", choices=["direct", "generic"], default="direct")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="exit non-zero only when a page fails, not when a timing goal is missed (CI)",
    )
    parser.add_argument(
        "--compare-generic",
        action="store_true",
        help="then measure again with the grants in guardian's generic tables (before/after)",
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    args.rounds = args.rounds or (30 if args.size == "full" else 12)

    def write(line: str) -> None:
        print(line, flush=True)

    db_name = f"corp_billing_scale_bench_{os.getpid()}"
    admin(f"CREATE DATABASE {db_name}")
    try:
        setup_django(db_name)
        size, cases = prepare(args, write)
        measure(cases, args.rounds, write)
        table, misses = report(size, cases, args)
        if args.compare_generic:
            # The same data and pages, the grants read from guardian's generic tables: "before".
            write("again, with the grants read from guardian's generic tables")
            use_generic_permissions()
            for case in cases:
                case.times = []
            measure(cases, args.rounds, write)
            args.permissions = "generic"
            before, _ = report(size, cases, args)
            write_results(
                Path(args.output), f"{size.accounts:06d}-{size.quotes:07d}-generic", before
            )
            print(before)
            args.permissions = "direct"
        from django.db import connections

        connections.close_all()
    finally:
        if not args.keep_db:
            admin(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    print(table)
    write_results(
        Path(args.output), f"{size.accounts:06d}-{size.quotes:07d}-{args.permissions}", table
    )
    for miss in misses:
        print(f"GOAL MISSED: {miss}", file=sys.stderr)
    if args.report_only:
        # CI's small run keeps the seed and the benchmark working; timings on a shared CI
        # machine at 40 accounts prove nothing, so only a page that fails counts there.
        return 1 if any("HTTP" in miss for miss in misses) else 0
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
