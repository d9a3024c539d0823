"""The quote's workflow steps over HTTP: validate the form, call one workflow service, answer.

A lost race or a decided quote is a 409 page, a refused right the same 404 as a missing quote,
a business rule a message on the quote page. Nothing is half-applied.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from contacts import changes
from contacts.forms import PROPOSAL_FORMS, ContactChangeDecisionForm, proposal_form
from contacts.http import AuthenticatedRequest
from contacts.models import ContactChange
from contacts.selectors import account_get_for_user, account_people, contact_change_get_for_user
from contacts.services import RateLimited
from contacts.views import account_page
from purchase_orders import policy as po_policy
from purchase_orders import selectors as po_selectors
from purchase_orders import services as po_services
from purchase_orders.forms import (
    AcceptancePOForm,
    ChangeProposalForm,
    ChangeReviewForm,
    ConflictForm,
)
from purchase_orders.models import PurchaseOrder, PurchaseOrderChange
from purchase_orders.policy import POConflict
from quotes import policy
from quotes.forms import DecisionForm, ReviewForm, SecondAcceptanceForm, WithdrawForm
from quotes.models import Quote
from quotes.policy import Action, QuoteConflict
from quotes.selectors import quote_get_for_user
from quotes.views import quote_page_again

from . import selectors, services
from .tables import inbox_table
from .tasks import TaskConflict


def _run(
    request: AuthenticatedRequest,
    quote: Quote,
    step: Callable[[], Any],
    success: str | Callable[[Any], str],
    *,
    refused: Callable[[ValidationError], HttpResponse] | None = None,
):
    """Runs ``step``; ``success`` is the message, or makes it from what ``step`` returned. A
    business rule's refusal goes to ``refused`` (which shows it at the field it concerns),
    else it is a message on the quote page."""
    try:
        result = step()
    except (QuoteConflict, TaskConflict, POConflict) as exc:
        return render(
            request, "workflows/conflict.html", {"quote": quote, "message": str(exc)}, status=409
        )
    except PermissionDenied:
        raise Http404("No such quote") from None
    except ValidationError as exc:
        if refused is not None:
            return refused(exc)
        messages.error(request, " ".join(exc.messages))
        return redirect("quotes:detail", number=quote.number)
    messages.success(request, success(result) if callable(success) else success)
    return redirect("quotes:detail", number=quote.number)


def _again(
    request: AuthenticatedRequest, quote: Quote, action: Action, forms: dict[str, Form]
) -> HttpResponse:
    """The quote page with the person's forms as they sent them, errors at their fields."""
    # Someone without the right learns nothing about the form: the same 404 as a missing quote.
    try:
        policy.require_right(request.user, action, quote.current_revision)  # type: ignore[arg-type]
    except PermissionDenied:
        raise Http404("No such quote") from None
    return quote_page_again(request, quote, forms=forms)


# Refusals of the accept step that concern one field of the PO part, by their code
# (``purchase_orders.services``); ``None`` is the PO part as a whole.
PO_REFUSAL_FIELDS: dict[str, str | None] = {
    po_services.NUMBER: "po_number",
    po_services.AMOUNT: "po_amount",
    po_services.VALID_TO: "po_valid_to",
    "document": "po_document",
    po_services.CHOICE: None,
}


def _refusal_at_fields(exc: ValidationError, form: Form, po_form: Form | None = None) -> None:
    """Adds each message of a service's refusal to the field it concerns: a PO refusal to the
    PO part of the accept form, anything else to the top of ``form``."""
    for error in exc.error_list:
        if po_form is not None and error.code in PO_REFUSAL_FIELDS:
            po_form.add_error(PO_REFUSAL_FIELDS[error.code], error)
        else:
            form.add_error(None, error)


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    page = selectors.inbox(user=request.user, request=request)
    return render(request, "workflows/inbox.html", {"table": inbox_table(page), "page": page})


@login_required
@require_POST
def quote_submit(request: AuthenticatedRequest, number: str) -> HttpResponse:
    quote = quote_get_for_user(user=request.user, number=number)
    return _run(
        request,
        quote,
        lambda: services.quote_submit(quote=quote, actor=request.user, request=request),
        "Quote submitted.",
    )


def _review(
    request: AuthenticatedRequest, number: str, approve: Action, send_back: Action
) -> HttpResponse:
    """One tier's review: ``approve`` and ``send_back`` are that tier's actions."""
    quote = quote_get_for_user(user=request.user, number=number)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _again(request, quote, approve, {"review_form": form})
    comment = form.cleaned_data["comment"]

    def refused(exc: ValidationError) -> HttpResponse:
        _refusal_at_fields(exc, form)
        return _again(request, quote, approve, {"review_form": form})

    if form.cleaned_data["decision"] == "approve":
        return _run(
            request,
            quote,
            lambda: services.quote_approve(
                quote=quote, actor=request.user, comment=comment, action=approve, request=request
            ),
            policy.after_approval,
            refused=refused,
        )
    return _run(
        request,
        quote,
        lambda: services.quote_send_back(
            quote=quote, actor=request.user, comment=comment, action=send_back, request=request
        ),
        "Sent back.",
        refused=refused,
    )


@login_required
@require_POST
def quote_review(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _review(request, number, Action.APPROVE, Action.SEND_BACK)


@login_required
@require_POST
def quote_finance_review(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _review(request, number, Action.FINANCE_APPROVE, Action.FINANCE_SEND_BACK)


DECISION_MESSAGES = {
    Action.ACCEPT: "You accepted the quote. Your representative has been told.",
    Action.REJECT: "You rejected the quote. Your representative has been told.",
    Action.REQUEST_CHANGES: "Your change request was sent to your representative.",
}


@login_required
@require_POST
def quote_decide(request: AuthenticatedRequest, number: str) -> HttpResponse:
    quote = quote_get_for_user(user=request.user, number=number)
    form = DecisionForm(request.POST)
    forms: dict[str, Form] = {"decision_form": form}
    if not form.is_valid():
        return _again(request, quote, Action.ACCEPT, forms)
    action = Action(form.cleaned_data["decision"])
    data = form.cleaned_data
    po_form = None
    if action == Action.ACCEPT:
        po_form = forms["po_form"] = AcceptancePOForm(request.POST, request.FILES)
        if not po_form.is_valid():
            return _again(request, quote, Action.ACCEPT, forms)
        chosen = po_form.cleaned_data.get("purchase_order")
        # A PO of another account (or none) is the same "not found" as a PO that does not exist.
        purchase_order = (
            po_selectors.po_of_account(account=quote.account, pk=chosen) if chosen else None
        )
        if chosen and purchase_order is None:
            po_form.add_error(None, "Choose one of your account's purchase orders.")
            return _again(request, quote, Action.ACCEPT, forms)
        new_po = po_form.new()

        def step() -> None:
            services.quote_accept(
                quote=quote,
                actor=request.user,
                purchase_order=purchase_order,
                new_po=new_po,
                request=request,
            )

    else:

        def step() -> None:
            services.quote_decline(
                quote=quote,
                actor=request.user,
                action=action,
                comment=data["comment"],
                request=request,
            )

    def refused(exc: ValidationError) -> HttpResponse:
        _refusal_at_fields(exc, form, po_form)
        return _again(request, quote, Action.ACCEPT, forms)

    return _run(request, quote, step, DECISION_MESSAGES[action], refused=refused)


@login_required
@require_POST
def quote_second_accept(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The second of two billing contacts accepts the document the first one accepted."""
    quote = quote_get_for_user(user=request.user, number=number)
    form = SecondAcceptanceForm(request.POST)
    if not form.is_valid():
        # The first signer has no second-acceptance form on the page to show errors at: a
        # refusal here is a message at the top of the quote page, for everyone alike.
        try:  # without the right: the same 404 as a missing quote, the form unread
            policy.require_right(request.user, Action.ACCEPT, quote.current_revision)  # type: ignore[arg-type]
        except PermissionDenied:
            raise Http404("No such quote") from None
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("quotes:detail", number=quote.number)
    return _run(
        request,
        quote,
        lambda: services.quote_second_accept(
            quote=quote,
            actor=request.user,
            pdf_sha256=form.cleaned_data["pdf_sha256"],
            request=request,
        ),
        "You gave the second acceptance: the quote is accepted. Your representative has been told.",
    )


@login_required
@require_POST
def quote_withdraw(request: AuthenticatedRequest, number: str) -> HttpResponse:
    quote = quote_get_for_user(user=request.user, number=number)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _again(request, quote, Action.WITHDRAW, {"withdraw_form": form})

    def refused(exc: ValidationError) -> HttpResponse:
        _refusal_at_fields(exc, form)
        return _again(request, quote, Action.WITHDRAW, {"withdraw_form": form})

    return _run(
        request,
        quote,
        lambda: services.quote_withdraw(
            quote=quote,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        ),
        "Withdrawn: the customer can no longer accept it and has been told.",
        refused=refused,
    )


# --- billing-contact changes ---------------------------------------------------------------------

PROPOSED_MESSAGE = (
    "Your proposal was sent to your LogMeIn representative. Nothing changes until they confirm it."
)
DECIDED_MESSAGES = {
    changes.Action.CONFIRM: "Confirmed: the change is in effect; the account's contacts were told.",
    changes.Action.DECLINE: "Declined: nothing was changed; the account's contacts were told.",
    changes.Action.WITHDRAW: "Withdrawn: nothing was changed; the account's contacts were told.",
}


@login_required
@require_POST
def contact_change_propose(request: AuthenticatedRequest, number: str) -> HttpResponse:
    account = account_get_for_user(user=request.user, number=number)
    try:
        changes.require_right(request.user, changes.Action.PROPOSE, account)
    except PermissionDenied:
        raise Http404("No such account") from None
    kind = request.POST.get("kind", "")
    if kind not in PROPOSAL_FORMS:
        messages.error(request, "Choose add, remove or make primary; nothing was changed.")
        return account_page(request, account, status=400)
    form = proposal_form(kind, account_people(account=account)["billing_contacts"], request.POST)
    if not form.is_valid():
        return account_page(request, account, proposal=form, status=400)
    data = form.cleaned_data
    status = 400
    try:
        services.contact_change_propose(
            account=account,
            actor=request.user,
            password=data["password"],
            kind=kind,
            target_id=data.get("target"),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            login_id=data.get("login_id", ""),
            request=request,
        )
    except RateLimited as exc:
        form.add_error(None, str(exc))
        status = 429
    except ValidationError as exc:
        form.add_error(None, " ".join(exc.messages))
    else:
        messages.success(request, PROPOSED_MESSAGE)
        return redirect(_changes_url(account.number))
    return account_page(request, account, proposal=form, status=status)


def _changes_url(number: str) -> str:
    return reverse("contacts:account_home", args=[number]) + "#contact-changes"


@login_required
@require_POST
def contact_change_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    change = contact_change_get_for_user(user=request.user, pk=pk)
    form = ContactChangeDecisionForm(request.POST)
    if not form.is_valid():
        # Someone without the right learns nothing about the form: the same 404 as a missing
        # change.
        try:
            changes.require_right(request.user, changes.Action.CONFIRM, change.account)
        except PermissionDenied:
            raise Http404("No such change") from None
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(_changes_url(change.account.number))
    action = changes.Action(form.cleaned_data["decision"])
    return _contact_change_step(
        request, change, action, comment=form.cleaned_data["comment"].strip()
    )


@login_required
@require_POST
def contact_change_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    change = contact_change_get_for_user(user=request.user, pk=pk)
    return _contact_change_step(request, change, changes.Action.WITHDRAW)


def _contact_change_step(
    request: AuthenticatedRequest, change: ContactChange, action: changes.Action, comment: str = ""
) -> HttpResponse:
    try:
        services.contact_change_decide(
            change=change, actor=request.user, action=action, comment=comment, request=request
        )
    except (changes.ContactChangeConflict, TaskConflict) as exc:
        return render(
            request,
            "workflows/contact_change_conflict.html",
            {"account": change.account, "message": str(exc)},
            status=409,
        )
    except PermissionDenied:
        raise Http404("No such change") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages) + " Nothing was changed.")
        return redirect(_changes_url(change.account.number))
    messages.success(request, DECIDED_MESSAGES[action])
    return redirect(_changes_url(change.account.number))


# --- PO change orders ------------------------------------------------------------------------


def _po_run(
    request: AuthenticatedRequest, po: PurchaseOrder, step: Callable[[], object], success: str
) -> HttpResponse:
    """Runs one PO-change step: a lost race or a decided change is a 409 page, a refused right
    the same 404 as a missing PO, a business rule a message on the PO page."""
    try:
        outcome = step()
    except (POConflict, TaskConflict) as exc:
        return render(
            request, "workflows/po_conflict.html", {"po": po, "message": str(exc)}, status=409
        )
    except PermissionDenied:
        raise Http404("No such purchase order") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("purchase_orders:detail", pk=po.pk)
    if outcome == "conflicted":
        messages.warning(
            request,
            "Not applied: the purchase order was changed after this proposal was made. The "
            "proposal was handed back to the customer to re-base on the current values.",
        )
    else:
        messages.success(request, success)
    return redirect("purchase_orders:detail", pk=po.pk)


def _po_invalid(
    request: AuthenticatedRequest, po: PurchaseOrder, form: Form, action: po_policy.Action
) -> HttpResponse:
    # Someone without the right learns nothing about the form: the same 404 as a missing PO.
    try:
        po_policy.require_right(request.user, action, po.account)
    except PermissionDenied:
        raise Http404("No such purchase order") from None
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("purchase_orders:detail", pk=po.pk)


@login_required
@require_POST
def po_change_propose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    po = po_selectors.po_get_for_user(user=request.user, pk=pk)
    form = ChangeProposalForm(request.POST, request.FILES)
    if not form.is_valid():
        return _po_invalid(request, po, form, po_policy.Action.PROPOSE_CHANGE)
    data = form.cleaned_data
    return _po_run(
        request,
        po,
        lambda: services.po_change_propose(
            purchase_order=po,
            actor=request.user,
            base_version=data["base_version"],
            number=data["number"],
            amount=data["amount"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            reason=data["reason"],
            document=data.get("document"),
            request=request,
        ),
        "Your proposed change was sent for review.",
    )


def _change_and_po(request: AuthenticatedRequest, pk: int) -> tuple[PurchaseOrderChange, Any]:
    change = po_selectors.change_get_for_user(user=request.user, pk=pk)
    return change, change.purchase_order


@login_required
@require_POST
def po_change_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    change, po = _change_and_po(request, pk)
    form = ChangeReviewForm(request.POST)
    if not form.is_valid():
        return _po_invalid(request, po, form, po_policy.Action.APPROVE)
    comment = form.cleaned_data["comment"]
    if form.cleaned_data["decision"] == "approve":
        return _po_run(
            request,
            po,
            lambda: services.po_change_approve(
                change=change, actor=request.user, comment=comment, request=request
            ),
            "Approved: the purchase order was changed.",
        )
    return _po_run(
        request,
        po,
        lambda: services.po_change_reject(
            change=change, actor=request.user, comment=comment, request=request
        ),
        "Rejected: the proposer has been told.",
    )


@login_required
@require_POST
def po_change_conflict(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A billing contact settles a change in conflict: re-base it or withdraw it."""
    change, po = _change_and_po(request, pk)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        return _po_invalid(request, po, form, po_policy.Action.REBASE)
    if form.cleaned_data["decision"] == "rebase":
        return _po_run(
            request,
            po,
            lambda: services.po_change_rebase(change=change, actor=request.user, request=request),
            "Re-based on the current values and sent for review again.",
        )
    return _po_run(
        request,
        po,
        lambda: services.po_change_withdraw(change=change, actor=request.user, request=request),
        "Withdrawn: the purchase order stays as it is.",
    )
