from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from viewflow.workflow.models import Task

from contacts import permissions
from contacts.models import ContactChangeKind, User
from contacts.permissions import has_all_accounts
from corp_billing.paging import (
    PAGE_SIZE,
    Page,
    cursor_values,
    directed,
    keyset_after,
    page_of,
    query_of,
)

from . import inbox_sql
from .flows import ContactChangeFlow, POChangeFlow, QuoteFlow
from .models import ContactChangeProcess, POChangeProcess, QuoteProcess
from .tasks import OPEN

# Each human task, the right it needs on its process's account, and what the inbox calls it.
TASKS = (
    (QuoteFlow.deal_desk_review, "approve_deal", "Approve or send back"),
    (QuoteFlow.finance_review, "approve_finance", "Approve or send back (finance)"),
    (QuoteFlow.customer_decision, "approve_quote", "Accept, reject or request changes"),
    (QuoteFlow.second_acceptance, "approve_quote", "Give the second acceptance or reject"),
    (QuoteFlow.revise, "draft_quote", "Revise and resubmit"),
    (ContactChangeFlow.confirm, "review_contact_change", "Confirm or decline contact change"),
    (POChangeFlow.review, "review_po_change", "Approve or reject the PO change"),
    (POChangeFlow.rebase, "propose_po_change", "Re-base or withdraw the PO change"),
)
LABELS = {node: label for node, _, label in TASKS}

# Tasks of a node that a person holding its right is still not offered: the second acceptance
# is not the first signer's (``quotes.policy.first_signer_id``).
# Declared as the path from the flow's process row to the person it is not offered to.
NOT_OFFERED: dict[Any, str] = {
    QuoteFlow.second_acceptance: "quote__current_revision__acceptance__accepted_by_id",
}

# Each flow's process model; every one carries its account (copied when the process starts),
# which is what the inbox scopes on.
PROCESSES: dict[type, Any] = {
    QuoteFlow: QuoteProcess,
    ContactChangeFlow: ContactChangeProcess,
    POChangeFlow: POChangeProcess,
}

# What an inbox row shows of each flow's object, as paths from the flow's process row (process
# → object → …), read as plain values: a page of rows is 51 small dicts, not 51 graphs of models
# with viewflow's JSON columns. Each flow's ``_describe`` turns them into the row's text.
ROW_VALUES: dict[type, dict[str, str]] = {
    QuoteFlow: {
        "quote_number": "quote__number",
        "quote_title": "quote__title",
        "quote_account_number": "quote__account__number",
        "quote_account_name": "quote__account__name",
        "quote_account_zone": "quote__account__time_zone",
        "quote_revision": "quote__current_revision__number",
        "quote_total": "quote__current_revision__total",
        "quote_currency": "quote__current_revision__currency",
    },
    ContactChangeFlow: {
        "contact_change": "change__pk",
        "contact_kind": "change__kind",
        "contact_target_first": "change__target__first_name",
        "contact_target_last": "change__target__last_name",
        "contact_target_login": "change__target__username",
        "contact_new_first": "change__new_first_name",
        "contact_new_last": "change__new_last_name",
        "contact_new_login": "change__new_login_id",
        "contact_account_number": "change__account__number",
        "contact_account_name": "change__account__name",
        "contact_account_zone": "change__account__time_zone",
    },
    POChangeFlow: {
        "po": "change__purchase_order_id",
        "po_number": "change__purchase_order__number",
        "po_currency": "change__purchase_order__currency",
        "po_account_number": "change__purchase_order__account__number",
        "po_account_name": "change__purchase_order__account__name",
        "po_account_zone": "change__purchase_order__account__time_zone",
        "po_proposed_amount": "change__amount",
    },
}


def _describe_quote(values: dict, urls: dict[str, str]) -> dict:
    return {
        "link": f"{urls['quotes']}{values['quote_number']}/",
        "subject": (
            f"{values['quote_number']} revision {values['quote_revision']} — "
            f"{values['quote_title']}"
        ),
        "account": f"{values['quote_account_number']} {values['quote_account_name']}",
        "time_zone": values["quote_account_zone"],
        "amount": values["quote_total"],
        "currency": values["quote_currency"],
    }


def _describe_contact_change(values: dict, urls: dict[str, str]) -> dict:
    # As ``ContactChange.subject`` names it: the contact concerned, or the one to be added.
    if values["contact_target_login"] is not None:
        first, last = values["contact_target_first"], values["contact_target_last"]
        login = values["contact_target_login"]
    else:
        first, last = values["contact_new_first"], values["contact_new_last"]
        login = values["contact_new_login"]
    name = f"{first} {last}".strip() or login
    account = f"{urls['home']}accounts/{values['contact_account_number']}/"
    return {
        "link": f"{account}#contact-change-{values['contact_change']}",
        "subject": f"{ContactChangeKind(values['contact_kind']).label}: {name} ({login})",
        "account": f"{values['contact_account_number']} {values['contact_account_name']}",
        "time_zone": values["contact_account_zone"],
    }


def _describe_po_change(values: dict, urls: dict[str, str]) -> dict:
    return {
        "link": f"{urls['purchase_orders']}{values['po']}/",
        "subject": f"PO {values['po_number']} — proposed change",
        "account": f"{values['po_account_number']} {values['po_account_name']}",
        "time_zone": values["po_account_zone"],
        "amount": values["po_proposed_amount"],
        "currency": values["po_currency"],
    }


DESCRIBE: dict[type, Callable[[dict, dict[str, str]], dict]] = {
    QuoteFlow: _describe_quote,
    ContactChangeFlow: _describe_contact_change,
    POChangeFlow: _describe_po_change,
}


INBOX_ORDER = ["created", "id"]
# A task's node as stored (viewflow's reference string), for the rows read by SQL.
_NODES = {Task._meta.get_field("flow_task").get_prep_value(node): node for node, _, _ in TASKS}


def _arms(user: User) -> list[tuple[Any, list[int] | None]]:
    """The kinds of task ``user`` may do somewhere, each with the ids of the accounts where
    (``None``: every account, a staff-wide right), read in one query; a kind the user may do
    nowhere has no arm at all."""
    scoped = [codename for _, codename, _ in TASKS if not has_all_accounts(user, codename)]
    account_ids = permissions.account_ids_by_permission(user, scoped)
    arms: list[tuple[Any, list[int] | None]] = []
    for node, codename, _ in TASKS:
        ids = account_ids.get(codename)
        if ids is None or ids:
            arms.append((node, ids))
    return arms


def _page_by_sql(
    user: User, arms: list[tuple[Any, list[int] | None]], cursor: list | None, backwards: bool
) -> list[dict]:
    """The page's rows (and one more) in one statement (``inbox_sql``), on PostgreSQL."""
    flows = tuple(dict.fromkeys(node.flow_class for node, _ in arms))
    shape = tuple(
        (PROCESSES[node.flow_class], ids is not None, NOT_OFFERED.get(node)) for node, ids in arms
    )
    rows = tuple((PROCESSES[flow], tuple(ROW_VALUES[flow].items())) for flow in flows)
    sql = inbox_sql.page_sql(shape, rows, cursor is not None, backwards)
    field = Task._meta.get_field("flow_task")
    params = inbox_sql.page_params(
        (
            (field.get_prep_value(node), OPEN, ids, user.pk if node in NOT_OFFERED else None)
            for node, ids in arms
        ),
        cursor,
        PAGE_SIZE,
    )
    with connection.cursor() as db:
        db.execute(sql, params)
        names = [column.name for column in db.description]
        found = [dict(zip(names, values, strict=True)) for values in db.fetchall()]
    for row in found:
        row["flow_task"] = _NODES[row["flow_task"]]
    return found


def _page_by_orm(
    user: User, arms: list[tuple[Any, list[int] | None]], cursor: list | None, backwards: bool
) -> list[dict]:
    """The same rows as ``_page_by_sql`` through the ORM, for SQLite: the page's keys from a
    UNION of one semi-join per arm, then one query per kind of flow on the page."""
    selected = []
    for node, ids in arms:
        arm = Task.objects.filter(flow_task=node, status__in=OPEN)
        if node in NOT_OFFERED:
            process = PROCESSES[node.flow_class]._meta.model_name
            arm = arm.exclude(**{f"process__{process}__{NOT_OFFERED[node]}": user.pk})
        if ids is not None:
            process = PROCESSES[node.flow_class]._meta.model_name
            arm = arm.filter(**{f"process__{process}__account_id__in": ids})
        selected.append(arm.order_by().values("pk"))
    tasks = Task.objects.filter(pk__in=selected[0].union(*selected[1:]))
    if cursor is not None:
        tasks = tasks.filter(keyset_after(INBOX_ORDER, cursor, backwards))
    order = directed(INBOX_ORDER, backwards)
    found = list(tasks.order_by(*order).values("id", "flow_task", "created")[: PAGE_SIZE + 1])
    by_flow: dict[type, list[int]] = {}
    for row in found:
        by_flow.setdefault(row["flow_task"].flow_class, []).append(row["id"])
    values: dict[int, dict] = {}
    for flow_class, ids in by_flow.items():
        process = PROCESSES[flow_class]._meta.model_name
        paths = {
            name: F(f"process__{process}__{path}") for name, path in ROW_VALUES[flow_class].items()
        }
        for row in Task.objects.filter(pk__in=ids).values("id", **paths):
            values[row["id"]] = row
    return [{**values[row["id"]], **row} for row in found]


def inbox(*, user: User, request: HttpRequest | None = None) -> Page:
    """One page (``corp_billing.paging``, oldest first) of exactly the open tasks ``user`` may
    act on: a dict per task with ``id``, ``created``, ``label`` (what the person is asked to
    do), ``link``, ``subject``, ``account`` with its ``time_zone``, and ``amount`` with
    ``currency`` where the object has one.

    After the query that reads the user's account ids per right, one statement on PostgreSQL
    (``inbox_sql``): a UNION of one semi-join per kind of task the user may do (its node,
    open, on an account where the user holds that task's right, by integer keys), so no
    sub-select is OR-ed with another, each arm reading the open-task index in waiting order and
    cut to one page at the cursor; then the page's rows joined to their objects."""
    cursor, backwards = cursor_values(request, INBOX_ORDER)
    arms = _arms(user) if user.is_authenticated else []
    found: list[dict] = []
    if arms and connection.vendor == "postgresql":
        found = _page_by_sql(user, arms, cursor, backwards)
    elif arms:
        found = _page_by_orm(user, arms, cursor, backwards)
    page = page_of(
        found,
        ordering=INBOX_ORDER,
        size=PAGE_SIZE,
        backwards=backwards,
        at_cursor=cursor is not None,
        query=query_of(request),
    )
    # Each object's page is its list's URL + its key: three reverses a page, not one a row.
    urls = {
        "quotes": reverse("quotes:list"),
        "purchase_orders": reverse("purchase_orders:list"),
        "home": reverse("contacts:home"),
    }
    page.rows = [
        {
            "id": row["id"],
            "created": row["created"],
            "label": LABELS[row["flow_task"]],
            "amount": None,
            "currency": "",
            **DESCRIBE[row["flow_task"].flow_class](row, urls),
        }
        for row in page.rows
    ]
    return page
