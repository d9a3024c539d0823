"""The dashboard's panels: each one a chart, the same numbers as a table, and a link to the list
behind it. Built from ``selectors.Dashboard`` without a query."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString

from quotes.money import format_money

from . import charts, selectors

GROUP_SERIES = {"open": 0, "won": 1, "lost": 2}


@dataclass
class Panel:
    key: str
    title: str
    chart: SafeString
    headers: tuple[str, ...]
    rows: Sequence[Sequence[tuple[str, str]]]
    """Each cell: (text, link or "")."""
    list_href: str
    list_label: str
    note: str = ""
    numeric: tuple[int, ...] = field(default=())
    """The indexes of the right-aligned (number) columns."""


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None, False)})
    return reverse(name) + (f"?{query}" if query else "")


def _days(value: datetime.timedelta | None) -> str:
    if value is None:
        return "–"
    hours = value.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _month(day: datetime.date) -> str:
    return f"{day:%Y-%m}"


def build(d: selectors.Dashboard) -> list[Panel]:
    cur = d.currency
    quotes = "finance:quotes"
    panels = []

    panels.append(
        Panel(
            "by-status",
            f"Pipeline value by status ({cur})",
            charts.bar_chart(
                [
                    charts.Bar(
                        label,
                        value,
                        format_money(value, cur),
                        _url(quotes, status=status, currency=cur),
                        series=_series_of_status(status),
                    )
                    for status, label, _n, value in d.by_status
                ],
                label=f"Pipeline value by status in {cur}",
            ),
            ("Status", "Quotes", f"Value ({cur})"),
            [
                (
                    (label, _url(quotes, status=status, currency=cur)),
                    (str(n), ""),
                    (format_money(value, cur), ""),
                )
                for status, label, n, value in d.by_status
            ],
            _url(quotes, currency=cur),
            f"All quotes in {cur}",
            note="Each quote counted once, at its current revision.",
            numeric=(1, 2),
        )
    )

    top = max((sum(v.values(), Decimal(0)) for _m, v in d.by_month), default=Decimal(0))
    panels.append(
        Panel(
            "by-month",
            f"Pipeline value by month created ({cur}, last 12 months)",
            charts.column_chart(
                [
                    charts.Column(
                        f"{m:%b}",
                        tuple(
                            charts.Bar(
                                selectors.GROUP_LABELS[g],
                                values[g],
                                format_money(values[g], cur),
                                _url(quotes, month=_month(m), group=g, currency=cur),
                                series=GROUP_SERIES[g],
                            )
                            for g in selectors.GROUPS
                        ),
                    )
                    for m, values in d.by_month
                ],
                label=f"Pipeline value by month in {cur}: open, won and lost",
                axis=("0", format_money(top, cur)),
            ),
            ("Month", "Open", "Won", "Lost"),
            [
                (
                    (f"{m:%B %Y}", _url(quotes, month=_month(m), currency=cur)),
                    *(
                        (
                            format_money(values[g], cur),
                            _url(quotes, month=_month(m), group=g, currency=cur),
                        )
                        for g in selectors.GROUPS
                    ),
                )
                for m, values in d.by_month
            ],
            _url(quotes, currency=cur),
            f"All quotes in {cur}",
            note="Open: draft, waiting for deal desk or finance, sent, waiting for a second "
            "signature or changes requested. Won: accepted. Lost: rejected, expired or withdrawn.",
            numeric=(1, 2, 3),
        )
    )

    buckets = [f"{low}–{high} days" for low, high in selectors.EXPIRY_BUCKETS]
    expiring_bars = [
        charts.Bar(f"Quotes, {b}", n, str(n), _url(quotes, expiring=1), series=0)
        for b, n in zip(buckets, d.expiring_quotes, strict=True)
    ]
    rows = [
        (
            (b, ""),
            (str(q), _url(quotes, expiring=1)),
            (str(p), _url("finance:purchase_orders", expiring=1)) if d.reads_pos else ("–", ""),
        )
        for b, q, p in zip(buckets, d.expiring_quotes, d.expiring_pos or [0] * 4, strict=True)
    ]
    if d.reads_pos:
        expiring_bars += [
            charts.Bar(
                f"POs, {b}", n, str(n), _url("finance:purchase_orders", expiring=1), series=2
            )
            for b, n in zip(buckets, d.expiring_pos, strict=True)
        ]
    panels.append(
        Panel(
            "expiring",
            f"Quotes and POs expiring in the next {selectors.EXPIRY_DAYS} days",
            charts.bar_chart(expiring_bars, label="Quotes and purchase orders expiring soon"),
            ("Expires in", "Sent quotes", "Active POs"),
            rows,
            _url(quotes, expiring=1),
            "Quotes expiring soon",
            note="" if d.reads_pos else "You read no purchase orders.",
            numeric=(1, 2),
        )
    )

    if d.reads_pos:
        ledger = "purchase_orders:ledger"
        panels.append(
            Panel(
                "po-usage",
                f"PO usage per account ({cur}, POs in force, largest {selectors.TOP_ACCOUNTS})",
                charts.column_chart(
                    [
                        charts.Column(
                            row["number"],
                            (
                                charts.Bar(
                                    "Drawn",
                                    row["drawn"],
                                    format_money(row["drawn"], cur),
                                    reverse(ledger, args=[row["number"]]),
                                    series=1,
                                ),
                                charts.Bar(
                                    "Remaining",
                                    max(row["remaining"], Decimal(0)),
                                    format_money(row["remaining"], cur),
                                    reverse(ledger, args=[row["number"]]),
                                    series=3,
                                ),
                            ),
                        )
                        for row in d.po_usage
                    ],
                    label=f"Purchase-order usage per account in {cur}",
                    axis=("0", format_money(d.po_usage[0]["amount"], cur) if d.po_usage else ""),
                ),
                ("Account", "POs", "Authorised", "Drawn", "Remaining", "Used"),
                [
                    (
                        (f"{r['number']} {r['name']}", reverse(ledger, args=[r["number"]])),
                        (str(r["pos"]), ""),
                        (format_money(r["amount"], cur), ""),
                        (format_money(r["drawn"], cur), ""),
                        (format_money(r["remaining"], cur), ""),
                        (f"{r['percent']} %", ""),
                    )
                    for r in d.po_usage
                ],
                reverse("purchase_orders:list"),
                "All purchase orders",
                numeric=(1, 2, 3, 4, 5),
            )
        )

    turnaround_bars = []
    for i, t in enumerate(d.turnaround):
        href = _url(quotes, approved=1) if i == 0 else _url(quotes)
        for name, value in (("median", t.median), ("90th pct.", t.p90)):
            hours = Decimal(value.total_seconds() / 3600).quantize(Decimal("0.1")) if value else 0
            turnaround_bars.append(
                charts.Bar(f"{t.label}, {name}", hours, _days(value), href, series=i * 2)
            )
    panels.append(
        Panel(
            "turnaround",
            "Approval turnaround (last 12 months)",
            charts.bar_chart(
                turnaround_bars,
                label="Approval turnaround, median and 90th percentile",
                label_width=210,
            ),
            ("Step", "Revisions", "Median", "90th percentile"),
            [
                (
                    (t.label, _url(quotes, approved=1) if i == 0 else ""),
                    (str(t.count), ""),
                    (_days(t.median), ""),
                    (_days(t.p90), ""),
                )
                for i, t in enumerate(d.turnaround)
            ],
            _url(quotes, approved=1),
            "Quotes approved by deal desk",
            note="Deal-desk approval: submitted → approved. Customer decision: sent → accepted, "
            "rejected or changes requested.",
            numeric=(1, 2, 3),
        )
    )

    rate = d.acceptance_rate
    panels.append(
        Panel(
            "acceptance",
            "Acceptance rate by month sent"
            + (f": {rate} % overall ({d.accepted} of {d.decided})" if rate is not None else ""),
            charts.column_chart(
                [
                    charts.Column(
                        f"{m:%b}",
                        (
                            charts.Bar(
                                "Accepted",
                                a,
                                str(a),
                                _url(quotes, sent_month=_month(m), status="accepted"),
                                series=1,
                            ),
                            charts.Bar(
                                "Not accepted",
                                n - a,
                                str(n - a),
                                _url(quotes, sent_month=_month(m)),
                                series=2,
                            ),
                        ),
                    )
                    for m, a, n in d.acceptance
                ],
                label="Accepted and not accepted revisions by month sent",
                axis=("0", str(max((n for _m, _a, n in d.acceptance), default=0))),
            ),
            ("Month sent", "Accepted", "Decided", "Rate"),
            [
                (
                    (f"{m:%B %Y}", _url(quotes, sent_month=_month(m))),
                    (str(a), ""),
                    (str(n), ""),
                    (f"{Decimal(a * 100 / n).quantize(Decimal('0.1'))} %" if n else "–", ""),
                )
                for m, a, n in d.acceptance
            ],
            _url(quotes, status="accepted"),
            "Accepted quotes",
            note="Decided: accepted, rejected, changes requested, expired or withdrawn.",
            numeric=(1, 2, 3),
        )
    )
    return panels


def _series_of_status(status: str) -> int:
    for group, statuses in selectors.GROUPS.items():
        if status in statuses:
            return GROUP_SERIES[group]
    return 3
