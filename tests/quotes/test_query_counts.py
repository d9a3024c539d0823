"""The quote pages issue the same number of queries whatever the number of quotes, lines or
tasks: measured with 10 and with 1,000 of them, per role, after one warm-up request.

A count that grows is an N+1 in the app; the failure message lists the statements that repeat.
"""

import re
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Process, Task

from corp_billing.paging import PAGE_SIZE
from quotes import services as quote_services
from quotes.models import Quote, QuoteRevision, RevisionStatus
from quotes.policy import Action
from tests.quote_builders import line, pending_approval_quote, product, sent_quote
from workflows import services as flow_services
from workflows.flows import QuoteFlow
from workflows.models import QuoteProcess
from workflows.selectors import LABELS

SMALL, LARGE = 10, 1_000
CEILING = 20


def measure(client, url) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, [query["sql"] for query in ctx.captured_queries]


def _shape(sql: str) -> str:
    return re.sub(r"\b\d+\b", "N", sql)


def assert_constant(small: list[str], large: list[str], ceiling: int = CEILING) -> None:
    if len(small) != len(large):
        grown = Counter(map(_shape, large)) - Counter(map(_shape, small))
        repeated = "\n".join(f"{count:>5} × {sql}" for sql, count in grown.most_common(5))
        pytest.fail(
            f"{len(small)} queries with {SMALL}, {len(large)} with {LARGE}; the extra ones:\n"
            f"{repeated}"
        )
    assert len(large) <= ceiling, "\n".join(large)


def count_rows(html: str, href_prefix: str) -> int:
    return len(re.findall(rf'<a href="{re.escape(href_prefix)}[^"/]+/"', html))


# --- the quote list --------------------------------------------------------------------------


def bulk_sent_quotes(account, rep, count: int, start: int) -> None:
    """``count`` quotes with one sent revision each, written in bulk (the list reads only these
    rows; building them through the flow would measure the builder, not the page)."""
    now = timezone.now()
    quotes = Quote.objects.bulk_create(
        [
            Quote(
                number=f"Q-2098-{start + i:08d}",  # a real number format, far from the sequence
                account=account,
                title=f"Bulk quote {start + i}",
                created_by=rep,
                idempotency_key=uuid.uuid4(),
            )
            for i in range(count)
        ]
    )
    revisions = QuoteRevision.objects.bulk_create(
        [
            QuoteRevision(
                quote=quote,
                number=1,
                status=RevisionStatus.SENT,
                currency=account.currency,
                valid_until=now.date() + timezone.timedelta(days=30),
                subtotal=Decimal("1000.00"),
                discount_total=Decimal("100.00"),
                total=Decimal("900.00"),
                created_by=rep,
                sent_by=rep,
                sent_at=now,
            )
            for quote in quotes
        ]
    )
    for quote, revision in zip(quotes, revisions, strict=True):
        quote.current_revision = revision
    Quote.objects.bulk_update(quotes, ["current_revision"], batch_size=500)


def quote_numbers(response) -> list[str]:
    return re.findall(r'<a href="/quotes/([^"/]+)/"', response.content.decode())


def walk_pages(client, url, numbers) -> tuple[list[str], list[list[str]]]:
    """Every page of a paged list from ``url`` on, following "Next": the row keys of all pages
    in order and each page's queries."""
    keys, queries = [], []
    while url:
        response, sql = measure(client, url)
        page = response.context["page"]
        assert len(page.rows) <= PAGE_SIZE
        keys.extend(numbers(response))
        queries.append(sql)
        url = page.next_url and response.request["PATH_INFO"] + page.next_url
    return keys, queries


@pytest.mark.parametrize("role", ["rep_a", "contact_a"])
def test_quote_list_is_paged_with_constant_queries(world, login, role):
    # given 10 sent quotes of account A, and the list page warmed up
    client = login(world.user(role))
    url = reverse("quotes:list")
    bulk_sent_quotes(world.a, world.rep_a, SMALL, start=0)
    client.get(url)

    # when the list is shown with 10 and then with 1,000 quotes, page by page
    response, small = measure(client, url)
    assert len(quote_numbers(response)) == SMALL
    assert response.context["page"].next_url is None
    bulk_sent_quotes(world.a, world.rep_a, LARGE - SMALL, start=SMALL)
    numbers, pages = walk_pages(client, url, quote_numbers)

    # then each page holds 50 quotes, newest first, every quote once over 20 pages
    assert len(pages) == LARGE // PAGE_SIZE
    assert numbers == [f"Q-2098-{i:08d}" for i in reversed(range(LARGE))]
    # with the same number of queries on every page, whatever the rows or the depth
    for sql in pages:
        assert_constant(small, sql)


def test_quote_list_pages_back(world, login):
    # given 120 quotes and the second page of the list
    client = login(world.rep_a)
    url = reverse("quotes:list")
    bulk_sent_quotes(world.a, world.rep_a, 120, start=0)
    first = client.get(url)
    second = client.get(url + first.context["page"].next_url)
    # when "Previous" is followed
    back = client.get(url + second.context["page"].previous_url)
    # then it is the first page again, with no way further back
    assert quote_numbers(back) == quote_numbers(first)
    assert len(quote_numbers(second)) == PAGE_SIZE
    assert back.context["page"].previous_url is None
    assert 'rel="next"' in back.content.decode()


def test_a_forged_cursor_is_the_first_page(world, login):
    client = login(world.rep_a)
    bulk_sent_quotes(world.a, world.rep_a, 3, start=0)
    for cursor in ("a!!!", "aeyJ4IjoxfQ", "b" + "A" * 40, "zzz"):
        response = client.get(reverse("quotes:list"), {"page": cursor})
        assert response.status_code == 200
        assert len(quote_numbers(response)) == 3


# --- the quote page --------------------------------------------------------------------------


def lines(count: int, *, price="10.00"):
    # Priced at list (9.50 is 5 % below it): no approval rule fires.
    item = product(USD_annually="10.00")
    return [
        line(item, quantity="1", unit_price=price, description=f"Site {i}") for i in range(count)
    ]


def revised_quote(world, count: int):
    """Revision 2 sent after the customer asked for changes to revision 1, both of ``count``
    lines: the page also shows the line-by-line difference."""
    quote = sent_quote(world.a, world.rep_a, lines=lines(count))
    flow_services.quote_decline(
        quote=quote,
        actor=world.contact_a,
        action=Action.REQUEST_CHANGES,
        comment="Cheaper please",
    )
    revision = quote_services.revision_start_next(quote=quote, actor=world.rep_a)
    quote_services.revision_update(
        revision=revision,
        actor=world.rep_a,
        term_months=24,
        billing_frequency=revision.billing_frequency,
        valid_until=revision.valid_until,
        terms=revision.terms,
        notes="",
        lines=lines(count, price="9.50"),
    )
    flow_services.quote_submit(quote=quote, actor=world.rep_a)
    quote.refresh_from_db()
    assert (quote.current_revision.number, quote.current_revision.status) == (2, "sent")
    return quote


@pytest.mark.parametrize("role", ["rep_a", "contact_a"])
@pytest.mark.parametrize("build", ["first_revision", "second_revision_with_diff"])
def test_quote_page_queries_do_not_grow_with_lines(world, login, role, build):
    # given two sent quotes of account A, one of 10 lines and one of 1,000
    make = {
        "first_revision": lambda n: sent_quote(world.a, world.rep_a, lines=lines(n)),
        "second_revision_with_diff": lambda n: revised_quote(world, n),
    }[build]
    small_quote, large_quote = make(SMALL), make(LARGE)
    client = login(world.user(role))
    client.get(reverse("quotes:detail", args=[small_quote.number]))

    # when each is shown
    small_page, small = measure(client, reverse("quotes:detail", args=[small_quote.number]))
    large_page, large = measure(client, reverse("quotes:detail", args=[large_quote.number]))

    # then every line is on the page, with the same number of queries
    assert len(small_page.context["lines"]) == SMALL
    assert len(large_page.context["lines"]) == LARGE
    assert large_page.content.decode().count("<code>OV-SEAT-STD</code>") >= LARGE
    assert_constant(small, large)


# --- the inbox -------------------------------------------------------------------------------


def _copy(instance, **changes):
    """An unsaved copy of ``instance``'s own columns (no pk, no many-to-many)."""
    values = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.primary_key
    }
    values.update(changes)
    return type(instance)(**values)


def copy_quotes_with_tasks(templates: list[Quote], copies: int) -> None:
    """``copies`` row-for-row copies of each template quote: its current revision, its
    QuoteFlow process and every task of it, in the same status.

    The templates went through the real flow; the copies are the same viewflow rows in bulk,
    because building 1,000 processes through the flow takes 60–200 ms each (1–3 minutes per
    role on PostgreSQL)."""
    for template in templates:
        process = QuoteProcess.objects.get(quote=template)
        tasks = list(Task.objects.filter(process=process.process_ptr_id).order_by("id"))
        revision = template.current_revision
        quotes = Quote.objects.bulk_create(
            [
                _copy(
                    template,
                    number=f"Q-2099-{template.pk:05d}{i:05d}",  # a real number format
                    idempotency_key=uuid.uuid4(),
                    current_revision_id=None,
                )
                for i in range(copies)
            ]
        )
        revisions = QuoteRevision.objects.bulk_create(
            [_copy(revision, quote_id=quote.pk) for quote in quotes]
        )
        for quote, copy in zip(quotes, revisions, strict=True):
            quote.current_revision = copy
        Quote.objects.bulk_update(quotes, ["current_revision"])
        base = Process.objects.get(pk=process.pk)
        processes = Process.objects.bulk_create([_copy(base) for _ in quotes])
        # A multi-table child cannot be bulk-created: its own table is filled directly.
        table = QuoteProcess._meta.db_table
        ptr = QuoteProcess._meta.get_field("process_ptr").column
        quote_column = QuoteProcess._meta.get_field("quote").column
        account_column = QuoteProcess._meta.get_field("account").column
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({ptr}, {quote_column}, {account_column}) "
                "VALUES (%s, %s, %s)",
                [
                    (copy.pk, quote.pk, quote.account_id)
                    for copy, quote in zip(processes, quotes, strict=True)
                ],
            )
        Task.objects.bulk_create(
            [_copy(task, process_id=copy.pk) for copy in processes for task in tasks]
        )


@pytest.fixture
def waiting(world):
    """For each role, ``SMALL`` real processes waiting for it, built through the flow: quotes
    waiting for deal desk, for a customer decision, and sent back to the representative."""

    def build(count):
        for_deal_desk = [pending_approval_quote(world.a, world.rep_a) for _ in range(count)]
        for_contact = [sent_quote(world.a, world.rep_a) for _ in range(count)]
        for_rep = [pending_approval_quote(world.a, world.rep_a) for _ in range(count)]
        for quote in for_rep:
            flow_services.quote_send_back(
                quote=quote, actor=world.deal_desk, comment="Too deep a discount"
            )
        return for_deal_desk, for_contact, for_rep

    return build(SMALL)


@pytest.mark.parametrize(
    ("role", "kind"),
    [("deal_desk", 0), ("contact_a", 1), ("rep_a", 2)],
    ids=["deal_desk", "contact_a", "rep_a"],
)
def test_inbox_queries_do_not_grow_with_tasks(world, login, waiting, role, kind):
    # given 10 real tasks waiting for each of deal desk, contact A and rep A
    client = login(world.user(role))
    url = reverse("workflows:inbox")
    client.get(url)

    # when the inbox is shown with 10 and then 1,000 of them waiting for the user, page by page
    response, small = measure(client, url)
    assert len(response.context["page"]) == SMALL
    copy_quotes_with_tasks(waiting[kind][:1], LARGE - SMALL)
    response, first = measure(client, url)
    tasks = list(response.context["page"])
    keys, pages = walk_pages(client, url, lambda r: [task["id"] for task in r.context["page"]])

    # then each page holds 50 tasks, oldest first, all 1,000 of them once over 20 pages
    assert len(tasks) == PAGE_SIZE
    node = (QuoteFlow.deal_desk_review, QuoteFlow.customer_decision, QuoteFlow.revise)[kind]
    assert {task["label"] for task in tasks} == {LABELS[node]}
    assert count_rows(response.content.decode(), "/quotes/") == PAGE_SIZE
    assert len(pages) == LARGE // PAGE_SIZE
    assert len(keys) == len(set(keys)) == LARGE
    # with the same number of queries on every page
    assert_constant(small, first)
    for sql in pages:
        assert_constant(small, sql)


# --- the quote page's history ----------------------------------------------------------------


def test_quote_history_is_paged_with_constant_queries(world, login):
    from audit.models import AuditAction, AuditEvent

    # given a sent quote with 120 more reminder events in its history
    quote = sent_quote(world.a, world.rep_a)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                action=AuditAction.QUOTE_REMINDER_SENT,
                account=world.a,
                object_type="quotes.quote",
                object_id=str(quote.pk),
                message=f"reminder {i}",
            )
            for i in range(120)
        ]
    )
    client = login(world.contact_a)
    url = reverse("quotes:detail", args=[quote.number])
    client.get(url)

    # when the history is paged through
    seen, pages, next_url = [], [], url
    while next_url:
        response, sql = measure(client, next_url)
        history = response.context["history"]
        assert len(history.rows) <= PAGE_SIZE
        seen.extend(event.pk for event in history.rows)
        pages.append(sql)
        next_url = history.next_url and url + history.next_url

    # then every event is shown once, oldest first, 50 a page, in the same queries a page
    from quotes.selectors import CUSTOMER_EVENTS

    events = AuditEvent.objects.filter(object_type="quotes.quote", object_id=str(quote.pk))
    visible = events.filter(action__in=CUSTOMER_EVENTS).order_by("occurred_at", "id")
    assert seen == list(visible.values_list("pk", flat=True))
    assert len(seen) >= 121
    assert len(pages) == 3
    assert len({len(sql) for sql in pages}) == 1


@pytest.mark.parametrize("role", ["rep_a", "contact_a", "deal_desk"])
@pytest.mark.parametrize(
    "params",
    [
        {"q": "Bulk"},
        {"status": "sent"},
        {"account": "OV-1000001"},
        {"sort": "oldest"},
        {"sort": "total_desc"},
        {"q": "quote", "status": "sent", "account": "OV-1000001", "sort": "total_asc"},
    ],
    ids=["search", "status", "account", "oldest", "total", "all"],
)
def test_the_searched_filtered_and_sorted_list_keeps_its_queries_constant(
    world, login, role, params
):
    # given 10 quotes of account A that every filter matches, and the page warmed up
    client = login(world.user(role))
    url = reverse("quotes:list") + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    bulk_sent_quotes(world.a, world.rep_a, SMALL, start=0)
    client.get(url)
    response, small = measure(client, url)
    assert len(quote_numbers(response)) == SMALL
    # when there are 1,000 of them, walked page by page
    bulk_sent_quotes(world.a, world.rep_a, LARGE - SMALL, start=SMALL)
    numbers, pages = walk_pages(client, url, quote_numbers)
    # then every quote is listed once, and every page costs what the page of 10 did
    assert len(numbers) == len(set(numbers)) == LARGE
    for sql in pages:
        assert_constant(small, sql)
