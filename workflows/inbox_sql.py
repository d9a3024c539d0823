"""The inbox's page as one SQL statement, for PostgreSQL.

Built with the ORM, a page of the inbox costs more Python than database: an arm per kind of
task, their union, then one query per kind of flow for what the rows show, each compiled anew
on every request (about 4 ms of a 10 ms page for a representative). Here the same reads are
one statement whose text depends only on the page's *shape* (which arms, which of them are
scoped to accounts, whether a cursor is given and which way), generated once per shape from the
models' metadata and ``selectors``' declarations, and cached; a request only binds its values
(the account ids as one array each).

The statement: the union of the arms, each cut to one page at the cursor, is kept as the page
(a materialized CTE, so PostgreSQL cannot fold it into the joins below); then each flow's object
is joined to the page's rows by keys, LEFT, in the written order, from those 51 rows. (A single
join of every task to every flow's objects has more tables than PostgreSQL reorders and once
read all 408,000 tasks to keep 51.)
"""

from collections.abc import Iterable
from functools import lru_cache

from django.db import models
from viewflow.workflow.models import Task


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, name
    return field.column


def _path(root: type[models.Model], alias: str, path: str, joins: dict[str, str]) -> str:
    """The SQL expression of ``path`` (``quote__account__number``) from the row ``alias`` of
    ``root``, adding the LEFT JOINs it needs to ``joins`` (one per related object, shared by
    every path through it)."""
    *relations, last = path.split("__")
    model, here = root, alias
    for name in relations:
        field = model._meta.get_field(name)
        target = field.related_model
        assert isinstance(target, type), path
        there = f"{here}_{name}"
        if isinstance(field, models.ForeignKey):
            on = f"{there}.{target._meta.pk.column} = {here}.{field.column}"
        else:  # the reverse of a one-to-one (a revision's acceptance)
            assert isinstance(field, models.OneToOneRel), path
            on = f"{there}.{_column(target, field.field.name)} = {here}.{model._meta.pk.column}"
        if there not in joins:
            joins[there] = f"LEFT JOIN {target._meta.db_table} {there} ON {on}"
        model, here = target, there
    if last == "pk":
        return f"{here}.{model._meta.pk.column}"
    return f"{here}.{_column(model, last)}"


@lru_cache(maxsize=256)
def page_sql(
    arms: tuple[tuple[type[models.Model], bool, str | None], ...],
    rows: tuple[tuple[type[models.Model], tuple[tuple[str, str], ...]], ...],
    at_cursor: bool,
    backwards: bool,
) -> str:
    """The statement for a page with ``arms`` (each: a flow's process model, whether it is
    limited to the person's accounts, and the path from the process to the person its tasks are
    not offered to, if any) and ``rows`` (each flow's process model and its
    ``(name, path)`` values).

    Parameters, in order, per arm: the task's node, its open statuses (two), the account ids
    (an array; scoped arms only), the person's id (arms with a path to the person not offered the
    task only), the cursor's ``created`` and ``id`` (with a cursor only) and
    the page size + 1; then the page size + 1 again. Result columns: ``id``, ``created``,
    ``flow_task``, then every flow's values by name (NULL on the other flows' rows).

    Every name in the text comes from model metadata or ``selectors``' declarations, never
    from a request: values are bound parameters."""
    task = Task._meta.db_table
    created, task_pk = _column(Task, "created"), Task._meta.pk.column
    node, status, process = (
        _column(Task, "flow_task"),
        _column(Task, "status"),
        _column(Task, "process"),
    )
    comparison, direction = ("<", "DESC") if backwards else (">", "ASC")
    order = f"created {direction}, id {direction}"
    page_order = f"page.created {direction}, page.id {direction}"
    selected = []
    for n, (process_model, scoped, not_offered) in enumerate(arms):
        where = [f"t.{node} = %s", f"t.{status} IN (%s, %s)"]
        join = ""
        ptr = process_model._meta.pk.column
        if scoped:
            # Each flow's process row carries its account: "open tasks on my accounts" by keys.
            join = f" JOIN {process_model._meta.db_table} p ON p.{ptr} = t.{process}"
            where.append(f"p.{_column(process_model, 'account')} = ANY(%s)")
        if not_offered:
            inner: dict[str, str] = {}
            person = _path(process_model, "x", not_offered, inner)
            where.append(
                f"NOT EXISTS (SELECT 1 FROM {process_model._meta.db_table} x "  # noqa: S608
                f"{' '.join(inner.values())} WHERE x.{ptr} = t.{process} AND {person} = %s)"
            )
        if at_cursor:
            where.append(f"(t.{created}, t.{task_pk}) {comparison} (%s, %s)")
        selected.append(
            f"SELECT * FROM (SELECT t.{task_pk} AS id, t.{created} AS created, "  # noqa: S608
            f"t.{node} AS flow_task, t.{process} AS process_id FROM {task} t{join} "
            f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s) arm{n}"
        )
    joins: dict[str, str] = {}
    values = []
    for n, (process_model, paths) in enumerate(rows):
        alias = f"f{n}"
        ptr = process_model._meta.pk.column
        joins[alias] = (
            f"LEFT JOIN {process_model._meta.db_table} {alias} ON {alias}.{ptr} = page.process_id"
        )
        values += [f"{_path(process_model, alias, path, joins)} AS {name}" for name, path in paths]
    return (
        f"WITH page AS MATERIALIZED"  # noqa: S608 (names from metadata; values are bound)
        f" ({' UNION ALL '.join(selected)} "
        f"ORDER BY {order} LIMIT %s) "
        f"SELECT page.id, page.created, page.flow_task, {', '.join(values)} FROM page "
        f"{' '.join(joins.values())} ORDER BY {page_order}"
    )


def page_params(
    arms: Iterable[tuple[str, tuple[str, str], list[int] | None, int | None]],
    cursor: list | None,
    size: int,
) -> list:
    """``page_sql``'s parameters: per arm its node's stored value, open statuses and account
    ids (``None`` when not scoped) and the person not offered its tasks (``None``: nobody)."""
    params: list = []
    for node, statuses, account_ids, person in arms:
        params += [node, *statuses]
        if account_ids is not None:
            params.append(account_ids)
        if person is not None:
            params.append(person)
        if cursor is not None:
            params += cursor
        params.append(size + 1)
    params.append(size + 1)
    return params
