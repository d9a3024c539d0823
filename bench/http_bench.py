"""Load over HTTP against the production shape: gunicorn workers + job worker on PostgreSQL.

Run from the repository root: ``.venv/bin/python bench/http_bench.py [--size small|full]``.
It creates a PostgreSQL database of its own on 127.0.0.1:5432 (user postgres; ``BENCH_PG_URL``
overrides the server), fills it with ``seed_scale`` (workflows/scale.py, as bench/pages_bench.py
does), starts ``deploy/serve-prod.sh`` on a free loopback port with the production profile
(plus the bench's bare page, ``BENCH_URLS``), and drops everything afterwards. Loopback only,
and bounded: at most 200 clients at once, each measurement a fixed number of requests or
seconds.

Clients are threads, each with its own HTTP connection and session (signed in through the
database's session table with the server's SECRET_KEY, as a sign-in would leave it), speaking
as the TLS proxy would (``X-Forwarded-Proto: https``, the site's Host). Measured:

1. **race**: 20 clients accept the same sent quote at the same instant. Goal: 1 applied (302),
   19 clear conflicts (409, "This quote has moved on"), 0 server errors, one acceptance stored.
2. **200 tasks**: 200 clients accept 200 different sent quotes at the same instant. Goal: all
   applied, 0 errors; p50/p99 latency reported.
3. **quote list at scale**: a representative on 1,000 accounts (or all there are) asks for the
   quote list, ``--clients`` at a time, in alternating timed phases with the bare page (50 rows,
   1 query, the same layout) over the same server. Goal: at least 0.5x the bare page's req/s.

Prints a Markdown table, writes it to ``--output`` (``bench/RESULTS-http.md``), exits 1 when a
goal is missed (with ``--report-only``, only when a correctness goal is: CI's small size on a
shared machine proves nothing about throughput).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

import psycopg  # noqa: E402

from bench.results import write_section  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
HOST = "billing.openvoice.example"
RACERS = 20
TASKS = 200
GOAL_LIST_RATIO = 0.5
CONFLICT_TEXT = "This quote has moved on"
CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class Session:
    """One client's signed-in session: its cookies and its CSRF token."""

    sessionid: str
    csrf: str

    @property
    def cookie(self) -> str:
        return f"sessionid={self.sessionid}; csrftoken={self.csrf}"


@dataclasses.dataclass
class Answer:
    status: int
    seconds: float
    body: str = ""


class Server:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, session: Session, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Cookie": session.cookie}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": session.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{HOST}"
            headers["Referer"] = f"https://{HOST}{path}"
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            return Answer(response.status, time.perf_counter() - start, text)
        except OSError as exc:  # a refused or reset connection counts as a server error
            return Answer(599, time.perf_counter() - start, repr(exc))
        finally:
            conn.close()


def together(jobs: list) -> list[Answer]:
    """Runs every job (a callable returning an Answer) in its own thread, released at once."""
    barrier = threading.Barrier(len(jobs))
    answers: list[Answer | None] = [None] * len(jobs)

    def run(index, job):
        barrier.wait(timeout=60)
        answers[index] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return [a if a is not None else Answer(599, 0.0, "no answer") for a in answers]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def setup_django(db_name: str, secret_key: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_URL.replace('postgresql://', 'postgres://')}/{db_name}"
    os.environ["SECRET_KEY"] = secret_key  # the server's: sessions made here are valid there
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corp_billing.settings")
    os.environ["DEBUG"] = "False"
    import django

    django.setup()


def session_for(user) -> Session:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "contacts.backends.LoginIdBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    assert store.session_key is not None
    csrf = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
    return Session(store.session_key, csrf)


@dataclasses.dataclass
class Plan:
    race_quote: str
    race_sessions: list[Session]
    task_quotes: list[str]
    task_sessions: list[Session]
    rep_session: Session
    rep_accounts: int
    accounts: int
    quotes: int


def prepare(args, write) -> Plan:
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import Membership, MembershipRole, StaffRole, User
    from workflows import scale
    from workflows import services as flow_services

    size = scale.SIZES[args.size]
    overrides = {k: getattr(args, k) for k in ("accounts", "quotes") if getattr(args, k)}
    size = dataclasses.replace(size, **overrides)
    call_command("migrate", verbosity=0)
    people = scale.seed(size, write=write, prefix="bench.")
    accounts = [a for a in people.accounts if not a.po_required]

    def sent_quote(account, title):
        rep = User.objects.get(pk=people.rep_of[account.pk])
        quote = scale.build_quote(account, rep, lines=5, title=title)
        flow_services.quote_submit(quote=quote, actor=rep)
        quote.refresh_from_db()
        if quote.current_revision.status == "pending_approval":
            flow_services.quote_approve(quote=quote, actor=people.deal_desk, comment="ok")
        return quote.number

    def contact(account, i=0):
        ids = people.contacts[account.pk]
        return User.objects.get(pk=ids[i % len(ids)])

    write(f"building {1 + TASKS} sent quotes through the services")
    race_account = accounts[0]
    race_quote = sent_quote(race_account, "HTTP race")
    race_sessions = [session_for(contact(race_account, i)) for i in range(RACERS)]
    task_quotes, task_sessions = [], []
    for i in range(TASKS):
        account = accounts[(i + 1) % len(accounts)]
        task_quotes.append(sent_quote(account, f"HTTP task {i}"))
        task_sessions.append(session_for(contact(account, i)))

    big = min(1000, len(people.accounts))
    write(f"granting a representative {big} accounts")
    rep = User.objects.create_user(
        username=f"bench.http.rep.on{big}", password="x", staff_role=StaffRole.REPRESENTATIVE
    )
    chosen = people.accounts[-big:]
    Membership.objects.bulk_create(
        [Membership(account=a, user=rep, role=MembershipRole.REPRESENTATIVE) for a in chosen]
    )
    scale.grant_in_bulk([(rep, a, MembershipRole.REPRESENTATIVE) for a in chosen])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return Plan(
        race_quote=race_quote,
        race_sessions=race_sessions,
        task_quotes=task_quotes,
        task_sessions=task_sessions,
        rep_session=session_for(rep),
        rep_accounts=big,
        accounts=size.accounts,
        quotes=size.quotes,
    )


def start_server(db_name: str, secret_key: str, port: int, workdir: Path, args):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "EMAIL_BACKEND")
    }
    run = f"http_bench_{os.getpid()}"
    env.update(
        CORP_BILLING_PROFILE="production",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"https://{HOST}",
        DATABASE_URL=f"{PG_URL.replace('postgresql://', 'postgres://')}/{db_name}",
        BENCH_URLS="true",
        BIND=f"127.0.0.1:{port}",
        WEB_WORKERS=str(args.web_workers),
        JOB_WORKERS="1",
        STATIC_ROOT=str(workdir / "static"),
        STATE_DIR=str(workdir / "state"),
        JOBS_QUEUE=run,
        CACHE_KEY_PREFIX=run,
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        # One line per request is part of the shape being measured; keep it on.
        PY=sys.executable,
    )
    log = (workdir / "server.log").open("w")
    return subprocess.Popen(
        [str(ROOT / "deploy" / "serve-prod.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_healthy(server: Server, process, workdir: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("serve-prod exited:\n" + (workdir / "server.log").read_text()[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", "/healthz", headers={"Host": HOST})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit("the server did not become healthy in 180 s")


def race(server: Server, plan: Plan) -> dict:
    path = f"/quotes/{plan.race_quote}/decide/"
    answers = together(
        [
            lambda s=s: server.request("POST", path, s, {"decision": "accept"})
            for s in plan.race_sessions
        ]
    )
    statuses = Counter(a.status for a in answers)
    clear = [a for a in answers if a.status == 409 and CONFLICT_TEXT in a.body]
    from quotes.models import Acceptance, Quote

    quote = Quote.objects.get(number=plan.race_quote)
    stored = Acceptance.objects.filter(revision__quote=quote).count()
    return {
        "applied": statuses[302],
        "conflicts": len(clear),
        "errors": sum(n for status, n in statuses.items() if status >= 500),
        "other": sum(n for status, n in statuses.items() if status not in (302, 409, 500, 599)),
        "stored": stored,
        "p50": statistics.median(a.seconds for a in answers),
        "p99": percentile([a.seconds for a in answers], 0.99),
    }


def many_tasks(server: Server, plan: Plan) -> dict:
    jobs = [
        lambda q=q, s=s: server.request("POST", f"/quotes/{q}/decide/", s, {"decision": "accept"})
        for q, s in zip(plan.task_quotes, plan.task_sessions, strict=True)
    ]
    started = time.perf_counter()
    answers = together(jobs)
    wall = time.perf_counter() - started
    statuses = Counter(a.status for a in answers)
    from quotes.models import QuoteRevision

    accepted = QuoteRevision.objects.filter(
        quote__number__in=plan.task_quotes, status="accepted"
    ).count()
    times = [a.seconds for a in answers]
    return {
        "applied": statuses[302],
        "errors": sum(n for status, n in statuses.items() if status >= 500),
        "statuses": dict(statuses),
        "stored": accepted,
        "p50": statistics.median(times),
        "p99": percentile(times, 0.99),
        "max": max(times),
        "wall": wall,
    }


def throughput(server: Server, plan: Plan, args, write) -> dict:
    """Alternating timed phases, bare page then quote list, ``args.phases`` times each, with
    ``args.clients`` clients looping; req/s per page over all its phases."""
    pages = {"bare": "/bench/bare/", "list": "/quotes/"}
    done = {name: 0 for name in pages}
    spent = {name: 0.0 for name in pages}
    latencies: dict[str, list[float]] = {name: [] for name in pages}
    bad: Counter = Counter()
    for path in pages.values():  # warm every worker's caches and connections
        for _ in range(args.web_workers * 2):
            server.request("GET", path, plan.rep_session)
    for phase in range(args.phases * 2):
        name = ("bare", "list")[phase % 2]
        stop_at = time.perf_counter() + args.phase_seconds
        lock = threading.Lock()

        def loop(name=name, stop_at=stop_at, lock=lock):
            while time.perf_counter() < stop_at:
                answer = server.request("GET", pages[name], plan.rep_session)
                with lock:
                    latencies[name].append(answer.seconds)
                    if answer.status == 200:
                        done[name] += 1
                    else:
                        bad[(name, answer.status)] += 1

        started = time.perf_counter()
        threads = [threading.Thread(target=loop) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        spent[name] += time.perf_counter() - started
        write(f"phase {phase + 1}/{args.phases * 2}: {name} {done[name]} requests so far")
    rate = {name: done[name] / spent[name] for name in pages}
    return {
        "bare_rps": rate["bare"],
        "list_rps": rate["list"],
        "ratio": rate["list"] / rate["bare"],
        "bare_p50": statistics.median(latencies["bare"]),
        "list_p50": statistics.median(latencies["list"]),
        "list_p99": percentile(latencies["list"], 0.99),
        "bad": dict(bad),
    }


def report(plan: Plan, args, raced: dict, tasks: dict, rate: dict) -> tuple[str, list, list]:
    correctness, timing = [], []
    if not (raced["applied"] == 1 and raced["conflicts"] == RACERS - 1 and raced["errors"] == 0):
        correctness.append(f"race: {raced}")
    if raced["stored"] != 1:
        correctness.append(f"race stored {raced['stored']} acceptances")
    if not (tasks["applied"] == TASKS and tasks["errors"] == 0 and tasks["stored"] == TASKS):
        correctness.append(f"200 tasks: {tasks}")
    if rate["bad"]:
        correctness.append(f"quote list/bare page answered {rate['bad']}")
    if rate["ratio"] < GOAL_LIST_RATIO:
        timing.append(f"quote list {rate['ratio']:.2f}x the bare page (goal >= 0.5)")

    def met(ok: bool) -> str:
        return "met" if ok else "**MISSED**"

    ms = 1000
    lines = [
        f"### HTTP load at {plan.accounts:,} accounts, {plan.quotes:,} seeded quotes "
        f"(`--size {args.size}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"gunicorn {args.web_workers} sync workers + 1 job worker + beat "
        "(`deploy/serve-prod.sh`, production profile), PostgreSQL and Redis on loopback; "
        f"clients are threads of one process on the same {os.cpu_count()}-core machine, "
        f"whose load average (other work included) was {args.load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after.",
        "",
        "| measurement | result | goal | |",
        "|---|---|---|---|",
        f"| {RACERS} clients accept the same sent quote at once | {raced['applied']} applied, "
        f"{raced['conflicts']} clear 409 conflicts, {raced['errors']} server errors, "
        f"{raced['stored']} acceptance stored; p50 {raced['p50'] * ms:.0f} ms, "
        f"p99 {raced['p99'] * ms:.0f} ms | 1 applied, {RACERS - 1} conflicts, 0 errors | "
        f"{met(not [c for c in correctness if c.startswith('race')])} |",
        f"| {TASKS} clients accept {TASKS} different quotes at once | {tasks['applied']} "
        f"applied ({tasks['stored']} stored), {tasks['errors']} server errors; "
        f"p50 {tasks['p50'] * ms:.0f} ms, p99 {tasks['p99'] * ms:.0f} ms, "
        f"all done in {tasks['wall']:.1f} s ({TASKS / tasks['wall']:.0f} accepts/s) | "
        f"all applied, 0 errors | "
        f"{met(not [c for c in correctness if c.startswith('200')])} |",
        f"| rep quote list on {plan.rep_accounts:,} accounts, {args.clients} clients | "
        f"{rate['list_rps']:.1f} req/s (p50 {rate['list_p50'] * ms:.0f} ms, "
        f"p99 {rate['list_p99'] * ms:.0f} ms) vs bare page {rate['bare_rps']:.1f} req/s "
        f"(p50 {rate['bare_p50'] * ms:.0f} ms): **{rate['ratio']:.2f}×** | ≥ 0.5× the bare "
        f"page | {met(rate['ratio'] >= GOAL_LIST_RATIO)} |",
        "",
    ]
    return "\n".join(lines), correctness, timing


HEADER = """# HTTP load benchmark results

Written by `bench/http_bench.py` (`make bench-http`; `make bench` runs it too): requests over
loopback HTTP against the production shape, the machine's other load included. Each run replaces
its own section (size) and keeps the others.
"""


def write_results(path: Path, key: str, table: str) -> None:
    write_section(path, HEADER, key, table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--accounts", type=int, help="override the size's account count")
    parser.add_argument("--quotes", type=int, help="override the size's quote count")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8, help="clients for the list (8)")
    parser.add_argument("--phases", type=int, default=3, help="timed phases per page (3)")
    parser.add_argument("--phase-seconds", type=float, default=None)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS-http.md"))
    args = parser.parse_args()
    args.load_before = os.getloadavg()[0]
    args.phase_seconds = args.phase_seconds or (10.0 if args.size == "full" else 4.0)

    def write(line: str) -> None:
        print(line, flush=True)

    db_name = f"corp_billing_http_bench_{os.getpid()}"
    secret_key = secrets.token_urlsafe(50)
    workdir = Path(tempfile.mkdtemp(prefix="http_bench_"))
    admin(f"CREATE DATABASE {db_name}")
    process = None
    try:
        setup_django(db_name, secret_key)
        plan = prepare(args, write)
        server = Server(free_port())
        write(f"starting the production shape on 127.0.0.1:{server.port}")
        process = start_server(db_name, secret_key, server.port, workdir, args)
        wait_healthy(server, process, workdir)
        write(f"race: {RACERS} clients, one quote")
        raced = race(server, plan)
        write(f"{TASKS} clients, {TASKS} quotes")
        tasks = many_tasks(server, plan)
        write(f"quote list vs bare page, {args.clients} clients")
        rate = throughput(server, plan, args, write)
        table, correctness, timing = report(plan, args, raced, tasks, rate)
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            admin(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    print(table)
    write_results(Path(args.output), f"{plan.accounts:06d}-{plan.quotes:07d}", table)
    for miss in correctness + timing:
        print(f"GOAL MISSED: {miss}", file=sys.stderr)
    if args.report_only:
        return 1 if correctness else 0
    return 1 if correctness or timing else 0


if __name__ == "__main__":
    sys.exit(main())
