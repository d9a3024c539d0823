"""Keyset pagination, the one way every list of the portal is paged.

A page is the rows after (or before) the last row the person saw, in a fixed total order that
ends in the primary key, fetched with ``LIMIT size + 1``: no ``COUNT(*)`` and no ``OFFSET``, so a
page costs the same query whatever the number of rows or how deep the person has paged, and an
index on the ordering serves it. The cursor in the URL is the ordering values of the edge row.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

PAGE_SIZE = 50


def _encode(values: list) -> str:
    plain = []
    for value in values:
        if isinstance(value, datetime.datetime):
            plain.append(["dt", value.isoformat()])
        elif isinstance(value, datetime.date):
            plain.append(["d", value.isoformat()])
        elif isinstance(value, Decimal):
            plain.append(["dec", str(value)])
        else:
            plain.append(["v", value])
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
        values = []
        for kind, value in plain:
            if kind == "dt":
                value = datetime.datetime.fromisoformat(value)
            elif kind == "d":
                value = datetime.date.fromisoformat(value)
            elif kind == "dec":
                value = Decimal(value)
            elif kind != "v" or not isinstance(value, str | int | float | bool | None):
                return None
            values.append(value)
    except (ValueError, TypeError, json.JSONDecodeError):
        return None
    return values if len(values) == count else None


def _after(ordering: list[str], values: list, reverse: bool) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (before, if ``reverse``)."""
    condition = Q()
    equal = Q()
    for name, value in zip(ordering, values, strict=True):
        descending = name.startswith("-") != reverse
        field_name = name.lstrip("-")
        step = Q(**{f"{field_name}__{'lt' if descending else 'gt'}": value})
        condition |= equal & step
        equal &= Q(**{field_name: value})
    # The leading column bounded on its own as well, so an index range scan starts at the cursor.
    first = ordering[0]
    lead = Q(
        **{
            f"{first.lstrip('-')}__{'lte' if first.startswith('-') != reverse else 'gte'}": values[
                0
            ]
        }
    )
    return lead & condition


@dataclass
class Page:
    rows: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    param: str = "page"
    query: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __bool__(self):
        return bool(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)

    def _url(self, cursor: str) -> str:
        return "?" + urlencode({**self.query, self.param: cursor})

    @property
    def next_url(self) -> str | None:
        return self._url("a" + self.next_cursor) if self.next_cursor else None

    @property
    def previous_url(self) -> str | None:
        return self._url("b" + self.previous_cursor) if self.previous_cursor else None

    @property
    def first_url(self) -> str:
        return "?" + urlencode(self.query) if self.query else "?"


def _value(row, name: str):
    """The ordering value ``name`` of a row: a model instance (by attribute path) or a dict
    from ``values()`` (by key)."""
    if isinstance(row, dict):
        return row[name.lstrip("-")]
    value = row
    for part in name.lstrip("-").split("__"):
        value = getattr(value, part)
    return value


def cursor_values(request, ordering: list[str], param: str = "page") -> tuple[list | None, bool]:
    """The ordering values of the cursor ``request.GET[param]`` (``None`` on the first page or
    for a bad cursor) and whether it pages backwards: for a query that applies the page's
    bounds itself (see ``workflows.selectors.inbox``)."""
    token = request.GET.get(param, "") if request is not None else ""
    if token[:1] not in ("a", "b"):
        return None, False
    values = _decode(token[1:], len(ordering))
    if values is None:
        return None, False
    return values, token[0] == "b"


def keyset_after(ordering: list[str], values: list, backwards: bool) -> Q:
    """Rows after the cursor ``values`` in ``ordering`` (before them, ``backwards``)."""
    return _after(ordering, values, reverse=backwards)


def query_of(request, param: str = "page") -> dict:
    """The request's other parameters (filters, search), kept in the page's links."""
    if request is None:
        return {}
    return {k: v for k, v in request.GET.items() if k != param}


def page_of(
    found: list,
    *,
    ordering: list[str],
    size: int,
    backwards: bool,
    at_cursor: bool,
    param: str = "page",
    query: dict | None = None,
) -> Page:
    """The page made of ``found``: up to ``size + 1`` rows read in ``directed(ordering,
    backwards)`` order (the extra row only says that more follow), with its cursors."""
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    page = Page(rows=found, param=param, query=query or {})
    if found:
        first = _encode([_value(found[0], n) for n in ordering])
        last = _encode([_value(found[-1], n) for n in ordering])
        if backwards:
            page.next_cursor = last
            page.previous_cursor = first if more else None
        else:
            page.next_cursor = last if more else None
            page.previous_cursor = first if at_cursor else None
    return page


def directed(ordering: list[str], backwards: bool) -> list[str]:
    """``ordering``, reversed when paging backwards."""
    if not backwards:
        return list(ordering)
    return [(n[1:] if n.startswith("-") else f"-{n}") for n in ordering]


def keyset_page(
    queryset: QuerySet,
    *,
    ordering: list[str],
    request=None,
    param: str = "page",
    size: int = PAGE_SIZE,
    rows: Callable[[QuerySet], QuerySet] | None = None,
) -> Page:
    """One page of ``queryset`` in ``ordering`` (whose last field must be unique, e.g. ``id``),
    at the cursor ``request.GET[param]`` (``a…`` after, ``b…`` before; none or bad: first page).
    One query (plus whatever ``prefetch_related`` the queryset asks for).

    ``rows``, if given, turns the page's bare rows (``Model.objects.filter(pk__in=page keys)``)
    into what the page shows (joins, annotations, prefetches): the scoping filters of
    ``queryset`` then run once, to pick the keys, and the joins only for the page's rows."""
    values, backwards = cursor_values(request, ordering, param)
    if values is not None:
        queryset = queryset.filter(_after(ordering, values, reverse=backwards))
    order = directed(ordering, backwards)
    # Keys first, rows second: the page's keys are picked from the filtered table alone (an
    # index walk or a sort of bare keys), and only those rows are joined to what the page shows.
    keys = queryset.order_by(*order).values("pk")[: size + 1]
    if rows is None:
        chosen = queryset.filter(pk__in=keys)
    else:
        chosen = rows(queryset.model._default_manager.filter(pk__in=keys))
    return page_of(
        list(chosen.order_by(*order)),
        ordering=ordering,
        size=size,
        backwards=backwards,
        at_cursor=values is not None,
        param=param,
        query=query_of(request, param),
    )
