"""An export reads each register in batches from one query, and a dashboard aggregates in the
database: their query counts are the same with 10 and with 600 quotes (1,200 lines)."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance import exports, selectors, services

from ..quotes.test_query_counts import assert_constant
from .builders import bulk_quotes

SMALL, LARGE = 10, 600


def export_queries(user, choice) -> tuple[dict[str, int], list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        written = services.workbook_write(
            user=user, choice=choice, filters=selectors.ExportFilters(), out=io.BytesIO()
        )
    return written, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("choice", [exports.ALL, "quotes", "quote_lines"])
def test_an_export_issues_the_same_queries_whatever_its_row_count(world, choice, monkeypatch):
    # batches smaller than the data, so the large export really reads several of them
    monkeypatch.setattr(selectors, "BATCH", 50)
    bulk_quotes(world.a, world.rep_a, SMALL, start=0)
    written, small = export_queries(world.finance, choice)
    assert written.get("quotes", SMALL) == SMALL

    bulk_quotes(world.a, world.rep_a, LARGE - SMALL, start=SMALL)
    written, large = export_queries(world.finance, choice)
    assert written.get("quotes", LARGE) == LARGE
    assert written.get("quote_lines", 2 * LARGE) == 2 * LARGE
    assert_constant(small, large, ceiling=8)


@pytest.mark.parametrize("role", ["finance", "rep_a", "deal_desk"])
def test_the_dashboard_issues_the_same_queries_whatever_the_data_size(world, login, role):
    client = login(world.user(role))
    url = reverse("finance:dashboard")
    bulk_quotes(world.a, world.rep_a, SMALL, start=0)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    small = [q["sql"] for q in ctx.captured_queries]
    assert response.status_code == 200
    assert response.context["figures"].by_status[0][2] == SMALL

    bulk_quotes(world.a, world.rep_a, LARGE - SMALL, start=SMALL)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    large = [q["sql"] for q in ctx.captured_queries]
    assert response.context["figures"].by_status[0][2] == LARGE
    assert_constant(small, large, ceiling=25)


def test_the_quote_list_behind_a_chart_is_paged_with_constant_queries(world, login):
    client = login(world.finance)
    url = reverse("finance:quotes") + "?status=sent&currency=USD"
    bulk_quotes(world.a, world.rep_a, SMALL, start=0)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    small = [q["sql"] for q in ctx.captured_queries]
    assert len(response.context["page"].rows) == SMALL

    bulk_quotes(world.a, world.rep_a, LARGE - SMALL, start=SMALL)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    large = [q["sql"] for q in ctx.captured_queries]
    assert len(response.context["page"].rows) == 50
    assert response.context["page"].next_url
    assert_constant(small, large)
