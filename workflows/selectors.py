from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from viewflow.workflow.models import Task

from contacts import permissions
from contacts.models import ContactChangeKind, User
from contacts.permissions import has_all_accounts
from corp_billing.paging import PAGE_SIZE, Page, cursor_filter, directed, keyset_page

from .flows import ContactChangeFlow, POChangeFlow, QuoteFlow
from .models import ContactChangeProcess, POChangeProcess, QuoteProcess
from .tasks import OPEN

# Each human task, the right it needs on its process's account, and what the inbox calls it.
TASKS = (
    (QuoteFlow.deal_desk_review, "approve_deal", "Approve or send back"),
    (QuoteFlow.customer_decision, "approve_quote", "Accept, reject or request changes"),
    (QuoteFlow.revise, "draft_quote", "Revise and resubmit"),
    (ContactChangeFlow.confirm, "review_contact_change", "Confirm or decline contact change"),
    (POChangeFlow.review, "review_po_change", "Approve or reject the PO change"),
    (POChangeFlow.rebase, "propose_po_change", "Re-base or withdraw the PO change"),
)
LABELS = {node: label for node, _, label in TASKS}

# Each flow's process model; every one carries its account (copied when the process starts),
# which is what the inbox scopes on.
PROCESSES: dict[type, Any] = {
    QuoteFlow: QuoteProcess,
    ContactChangeFlow: ContactChangeProcess,
    POChangeFlow: POChangeProcess,
}

# What an inbox row shows of each flow's object, read as plain values by key paths from the
# task (task → process → object): a page of rows is 51 small dicts, not 51 graphs of models
# with viewflow's JSON columns. Each flow's ``_describe`` turns them into the row's text.
_QUOTE = "process__quoteprocess__quote__"
_CONTACT = "process__contactchangeprocess__change__"
_PO_CHANGE = "process__pochangeprocess__change__"
ROW_VALUES: dict[type, dict[str, F]] = {
    QuoteFlow: {
        "quote_number": F(f"{_QUOTE}number"),
        "quote_title": F(f"{_QUOTE}title"),
        "quote_account_number": F(f"{_QUOTE}account__number"),
        "quote_account_name": F(f"{_QUOTE}account__name"),
        "quote_account_zone": F(f"{_QUOTE}account__time_zone"),
        "quote_revision": F(f"{_QUOTE}current_revision__number"),
        "quote_total": F(f"{_QUOTE}current_revision__total"),
        "quote_currency": F(f"{_QUOTE}current_revision__currency"),
    },
    ContactChangeFlow: {
        "contact_change": F(f"{_CONTACT}pk"),
        "contact_kind": F(f"{_CONTACT}kind"),
        "contact_target_first": F(f"{_CONTACT}target__first_name"),
        "contact_target_last": F(f"{_CONTACT}target__last_name"),
        "contact_target_login": F(f"{_CONTACT}target__username"),
        "contact_new_first": F(f"{_CONTACT}new_first_name"),
        "contact_new_last": F(f"{_CONTACT}new_last_name"),
        "contact_new_login": F(f"{_CONTACT}new_login_id"),
        "contact_account_number": F(f"{_CONTACT}account__number"),
        "contact_account_name": F(f"{_CONTACT}account__name"),
        "contact_account_zone": F(f"{_CONTACT}account__time_zone"),
    },
    POChangeFlow: {
        "po": F(f"{_PO_CHANGE}purchase_order_id"),
        "po_number": F(f"{_PO_CHANGE}purchase_order__number"),
        "po_currency": F(f"{_PO_CHANGE}purchase_order__currency"),
        "po_account_number": F(f"{_PO_CHANGE}purchase_order__account__number"),
        "po_account_name": F(f"{_PO_CHANGE}purchase_order__account__name"),
        "po_account_zone": F(f"{_PO_CHANGE}purchase_order__account__time_zone"),
        "po_proposed_amount": F(f"{_PO_CHANGE}amount"),
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


def inbox_tasks(*, user: User, request: HttpRequest | None = None) -> QuerySet[Task]:
    """Exactly the open tasks ``user`` may act on, oldest first, as one query (after the one
    that reads the user's account ids): the ids are a UNION of one semi-join per human task
    the user may do somewhere (its node, open, on an account where the user holds that task's
    right, by integer keys), so no sub-select is OR-ed with another and each arm reads the
    open-task index in waiting order. Where the database allows it (PostgreSQL), each arm is
    cut to one page at ``request``'s cursor, so only a page's worth of rows per arm is ever
    joined and sorted, however many tasks wait. Page it with ``inbox``."""
    if not user.is_authenticated:
        return Task.objects.none()
    where, backwards = cursor_filter(request, INBOX_ORDER)
    per_arm = connection.features.supports_slicing_ordering_in_compound
    scoped = [codename for _, codename, _ in TASKS if not has_all_accounts(user, codename)]
    account_ids = permissions.account_ids_by_permission(user, scoped)
    arms = []
    for node, codename, _ in TASKS:
        arm = Task.objects.filter(flow_task=node, status__in=OPEN)
        if codename in account_ids:
            if not account_ids[codename]:  # the right on no account: no arm at all
                continue
            # The task's process is on one of the user's accounts, joined by keys through the
            # flow's own process row (one-to-one with viewflow's, so no duplicates; cheaper to
            # build than a correlated EXISTS), which carries its account: the arm either walks
            # the open-task index in waiting order and stops at a page, or starts from a few
            # accounts' processes.
            process = PROCESSES[node.flow_class]._meta.model_name
            arm = arm.filter(**{f"process__{process}__account_id__in": account_ids[codename]})
        if per_arm:
            if where is not None:
                arm = arm.filter(where)
            arm = arm.order_by(*directed(INBOX_ORDER, backwards)).values("pk")[: PAGE_SIZE + 1]
        else:
            arm = arm.order_by().values("pk")
        arms.append(arm)
    if not arms:
        return Task.objects.none()
    ids = arms[0].union(*arms[1:]) if len(arms) > 1 else arms[0]
    return Task.objects.filter(pk__in=ids).order_by(*INBOX_ORDER)


def _inbox_rows(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.values("id", "flow_task", "created")


def inbox(*, user: User, request: HttpRequest | None = None) -> Page:
    """One page (``corp_billing.paging``) of ``inbox_tasks``: a dict per task with ``id``,
    ``created``, ``label`` (what the person is asked to do), ``link``, ``subject``,
    ``account`` with its ``time_zone``, and ``amount`` with ``currency`` where the object has
    one.

    The page's tasks first (bare keys), then one query per kind of flow on the page for what
    its rows show, by those keys: one query joining every flow's objects at once has more
    tables than PostgreSQL reorders (``join_collapse_limit``), and it then joined every task
    there is before keeping the page's 51."""
    page = keyset_page(
        inbox_tasks(user=user, request=request),
        ordering=INBOX_ORDER,
        request=request,
        rows=_inbox_rows,
    )
    by_flow: dict[type, list[int]] = {}
    for row in page.rows:
        by_flow.setdefault(row["flow_task"].flow_class, []).append(row["id"])
    values = {}
    # Each object's page is its list's URL + its key: three reverses a page, not one a row.
    urls = {
        "quotes": reverse("quotes:list"),
        "purchase_orders": reverse("purchase_orders:list"),
        "home": reverse("contacts:home"),
    }
    for flow_class, ids in by_flow.items():
        for found in Task.objects.filter(pk__in=ids).values("id", **ROW_VALUES[flow_class]):
            values[found["id"]] = DESCRIBE[flow_class](found, urls)
    page.rows = [
        {
            "id": row["id"],
            "created": row["created"],
            "label": LABELS[row["flow_task"]],
            "amount": None,
            "currency": "",
            **values[row["id"]],
        }
        for row in page.rows
    ]
    return page
