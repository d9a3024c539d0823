"""Lower apps never import higher ones: audit ← contacts ← quotes/purchase_orders/billing_center
← workflows.

Read from the source with ``ast`` (not by importing), so an import hidden in a function body or a
management command counts as much as one at the top of a module.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "audit": {"contacts", "quotes", "purchase_orders", "workflows", "viewflow"},
    "contacts": {"quotes", "purchase_orders", "workflows", "viewflow"},
    "quotes": {"workflows", "viewflow"},
    "purchase_orders": {"workflows", "viewflow"},
    "billing_center": {"workflows", "viewflow", "purchase_orders"},
}


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every absolute import in ``path``."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def offending_imports(app: str) -> list[str]:
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for root in sorted(imported_roots(path) & FORBIDDEN[app]):
            found.append(f"{path.relative_to(ROOT)} imports {root}")
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_lower_apps_import_nothing_from_higher_ones(app):
    # Given the app's source files, when their imports are read, then none reaches up a layer
    assert offending_imports(app) == []


def test_the_import_reader_sees_imports_anywhere_in_a_module(tmp_path):
    # Given a module with a plain, a from- and a function-local import of a higher app
    module = tmp_path / "m.py"
    module.write_text(
        "import quotes.money\nfrom workflows import flows\n"
        "def f():\n    from viewflow import this\n"
        "from . import sibling\n"
    )
    # Then all three are found, and the relative import is not mistaken for one
    assert imported_roots(module) == {"quotes", "workflows", "viewflow"}
