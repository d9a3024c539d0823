"""Line-by-line difference between two revisions: added, removed and changed lines, and
changed terms, dates and totals."""

from collections import defaultdict
from dataclasses import dataclass, field

from .money import format_money

LINE_FIELDS = (
    ("quantity", "Quantity"),
    ("unit_price", "Unit price"),
    ("discount_percent", "Discount %"),
    ("description", "Description"),
    ("net_amount", "Amount"),
)
MONEY_FIELDS = {"unit_price", "net_amount", "subtotal", "discount_total", "total"}
HEADER_FIELDS = (
    ("title", "Title"),
    ("term_months", "Term (months)"),
    ("get_billing_frequency_display", "Billing frequency"),
    ("valid_until", "Valid until"),
    ("terms", "Terms"),
    ("notes", "Notes"),
    ("subtotal", "Subtotal"),
    ("discount_total", "Discount"),
    ("total", "Total"),
)


@dataclass
class LineChange:
    kind: str  # "added", "removed", "changed"
    sku: str
    name: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    line: object = None


@dataclass
class RevisionDiff:
    header: list[tuple[str, object, object]]
    lines: list[LineChange]

    @property
    def is_empty(self) -> bool:
        return not self.header and not self.lines


def _value(obj, attr):
    value = getattr(obj, attr)
    return value() if callable(value) else value


def _keyed(lines):
    # The n-th line of a SKU in one revision pairs with the n-th line of that SKU in the other.
    seen: defaultdict[str, int] = defaultdict(int)
    keyed = {}
    for line in lines:
        keyed[(line.sku, seen[line.sku])] = line
        seen[line.sku] += 1
    return keyed


def _shown(attr, value, currency):
    return format_money(value, currency) if attr in MONEY_FIELDS else value


def revision_diff(old, new, old_lines, new_lines) -> RevisionDiff:
    currency = new.currency
    header = [
        (
            label,
            _shown(attr, _value(old, attr), currency),
            _shown(attr, _value(new, attr), currency),
        )
        for attr, label in HEADER_FIELDS
        if _value(old, attr) != _value(new, attr)
    ]
    before, after = _keyed(old_lines), _keyed(new_lines)
    changes: list[LineChange] = []
    for key, line in after.items():
        if key not in before:
            changes.append(LineChange("added", line.sku, line.name, line=line))
            continue
        previous = before[key]
        diffs = [
            (
                label,
                _shown(attr, getattr(previous, attr), currency),
                _shown(attr, getattr(line, attr), currency),
            )
            for attr, label in LINE_FIELDS
            if getattr(previous, attr) != getattr(line, attr)
        ]
        if diffs:
            changes.append(LineChange("changed", line.sku, line.name, diffs, line=line))
    for key, line in before.items():
        if key not in after:
            changes.append(LineChange("removed", line.sku, line.name, line=line))
    return RevisionDiff(header, changes)
