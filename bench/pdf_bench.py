"""Quote PDF render time: linear in the number of lines, and well ahead of one big Table.

Run from the repository root: ``.venv/bin/python bench/pdf_bench.py`` (no Django needed).
Exits 1 when a target is missed:

* per-line cost at 5,000 lines at most 1.3 x the per-line cost at 500 lines (linear growth);
* the paged renderer at least 3 x faster than one big ``Table`` at 5,000 lines (the baseline is
  ``bench/single_table.py``: the same document, the lines as one reportlab ``Table``).

Times are CPU seconds of this process (rendering is single-threaded and in memory), best of
several runs, so other work on a shared machine does not count against the renderer.
``--sweep`` also times 5,000 lines for several ``chunk_rows`` caps.
"""

import math
import sys
from pathlib import Path

# Runnable as a plain script: make the repository root importable before importing quotes.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from decimal import Decimal  # noqa: E402
from functools import partial  # noqa: E402

from bench.single_table import render_quote_pdf_single_table  # noqa: E402
from quotes.money import line_amounts  # noqa: E402
from quotes.pdf import (  # noqa: E402
    DEFAULT_CHUNK_ROWS,
    PdfLine,
    QuoteDocument,
    render_quote_pdf,
)

MAX_PER_LINE_GROWTH = 1.3
MIN_SPEED_UP = 3.0

# Repetitions per size; the best run counts (the least disturbed by the rest of the machine).
RUNS = {20: 15, 500: 9}
# The two 5,000-line renders alternate, round after round, so that a slow spell (a busy host)
# slows both rather than skewing their ratio; the cheap one runs twice a round.
BIG = 5000
BIG_ROUNDS = 4


def make_document(line_count: int, currency: str = "USD") -> QuoteDocument:
    """A realistic quote: a third of the lines described, some names long enough to wrap."""
    lines = []
    subtotal = discount_total = Decimal(0)
    for i in range(line_count):
        quantity = Decimal(1 + i % 40)
        unit_price = Decimal("12.50") + Decimal(i % 7)
        discount = Decimal((i % 4) * 5)
        gross, discount_amount, net = line_amounts(
            quantity=quantity, unit_price=unit_price, discount_percent=discount, currency=currency
        )
        subtotal += gross
        discount_total += discount_amount
        name = f"Contact centre seat, tier {i % 5}"
        if i % 10 == 0:
            name += " with call recording, transcription and quality management add-ons"
        lines.append(
            PdfLine(
                sku=f"CC-SEAT-{i:05d}",
                name=name,
                description="Includes SSO, audit log and 24/7 support." if i % 3 == 0 else "",
                quantity=quantity,
                unit="seat / month",
                unit_price=unit_price,
                discount_percent=discount,
                net_amount=net,
            )
        )
    return QuoteDocument(
        vendor_name="OpenVoice Ltd",
        vendor_address=("1 Harbour Street", "Bristol BS1 4AA", "United Kingdom"),
        account_name="Acme Corp",
        account_number="OV-1000001",
        billing_address="Acme Corp\nAccounts Payable\n10 Market Road\nSpringfield",
        quote_number="Q-2026-000123",
        revision=2,
        status_label="Sent",
        issued_on=datetime.date(2026, 11, 1),
        valid_until=datetime.date(2026, 12, 1),
        currency=currency,
        term_months=12,
        billing_frequency_label="Monthly",
        prepared_by="Rita Rep",
        lines=tuple(lines),
        subtotal=subtotal,
        discount_total=discount_total,
        total=subtotal - discount_total,
        terms="Payment net 30 days from invoice.\nPrices exclude VAT.",
        notes="Replaces the 2025 contract.",
        watermark=None,
        show_acceptance_block=True,
    )


def timed(render: Callable[[], bytes]) -> float:
    gc.collect()  # garbage from the previous run must not be collected on this one's clock
    started = time.process_time()
    render()
    return time.process_time() - started


def best_of(runs: int, render: Callable[[], bytes]) -> float:
    return min(timed(render) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS)
    parser.add_argument("--sweep", action="store_true", help="also time several chunk_rows caps")
    args = parser.parse_args()

    chunk_rows = args.chunk_rows
    results: list[tuple[str, int, float]] = []
    for count, runs in RUNS.items():
        doc = make_document(count)
        seconds = best_of(runs, partial(render_quote_pdf, doc, chunk_rows=chunk_rows))
        results.append(("paged", count, seconds))
    big = make_document(BIG)
    paged = single = math.inf
    for _ in range(BIG_ROUNDS):
        for _ in range(2):
            paged = min(paged, timed(lambda: render_quote_pdf(big, chunk_rows=chunk_rows)))
        single = min(single, timed(lambda: render_quote_pdf_single_table(big)))
    results += [("paged", BIG, paged), ("single Table", BIG, single)]

    print(f"{'renderer':<14}{'lines':>7}{'cpu s':>10}{'ms/line':>10}")
    for renderer, count, seconds in results:
        print(f"{renderer:<14}{count:>7}{seconds:>10.3f}{seconds / count * 1000:>10.3f}")

    per_line = {count: secs / count for renderer, count, secs in results if renderer == "paged"}
    growth = per_line[BIG] / per_line[500]
    speed_up = single / paged
    growth_ok = growth <= MAX_PER_LINE_GROWTH
    speed_ok = speed_up >= MIN_SPEED_UP
    print()
    print(
        f"per-line 5,000 / 500: {growth:.2f} (target <= {MAX_PER_LINE_GROWTH}) "
        f"{'ok' if growth_ok else 'MISSED'}"
    )
    print(
        f"speed-up vs single Table at 5,000: {speed_up:.1f}x (target >= {MIN_SPEED_UP}x) "
        f"{'ok' if speed_ok else 'MISSED'}"
    )

    if args.sweep:
        print()
        print(f"{'chunk_rows':>10}{'cpu s':>10}  (5,000 lines)")
        for cap in (10, 25, 50, 100, 1000):
            seconds = best_of(3, partial(render_quote_pdf, big, chunk_rows=cap))
            print(f"{cap:>10}{seconds:>10.3f}")

    return 0 if growth_ok and speed_ok else 1


if __name__ == "__main__":
    sys.exit(main())
