"""The quote's workflow steps over HTTP: validate the form, call one workflow service, answer.

A lost race or a decided quote is a 409 page, a refused right the same 404 as a missing quote,
a business rule a message on the quote page. Nothing is half-applied.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from contacts.http import AuthenticatedRequest
from quotes import policy
from quotes.forms import DecisionForm, ReviewForm, WithdrawForm
from quotes.models import Quote
from quotes.policy import Action, QuoteConflict
from quotes.selectors import quote_get_for_user

from . import selectors, services
from .tables import inbox_table
from .tasks import TaskConflict


def _run(request: AuthenticatedRequest, quote: Quote, step: Callable[[], object], success: str):
    try:
        step()
    except (QuoteConflict, TaskConflict) as exc:
        return render(
            request, "workflows/conflict.html", {"quote": quote, "message": str(exc)}, status=409
        )
    except PermissionDenied:
        raise Http404("No such quote") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quotes:detail", number=quote.number)
    messages.success(request, success)
    return redirect("quotes:detail", number=quote.number)


def _invalid(
    request: AuthenticatedRequest, quote: Quote, form: Form, action: Action
) -> HttpResponse:
    # Someone without the right learns nothing about the form: the same 404 as a missing quote.
    try:
        policy.require_right(request.user, action, quote.current_revision)  # type: ignore[arg-type]
    except PermissionDenied:
        raise Http404("No such quote") from None
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("quotes:detail", number=quote.number)


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


@login_required
@require_POST
def quote_review(request: AuthenticatedRequest, number: str) -> HttpResponse:
    quote = quote_get_for_user(user=request.user, number=number)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _invalid(request, quote, form, Action.APPROVE)
    comment = form.cleaned_data["comment"]
    if form.cleaned_data["decision"] == "approve":
        return _run(
            request,
            quote,
            lambda: services.quote_approve(
                quote=quote, actor=request.user, comment=comment, request=request
            ),
            "Approved: the quote was sent to the customer.",
        )
    return _run(
        request,
        quote,
        lambda: services.quote_send_back(
            quote=quote, actor=request.user, comment=comment, request=request
        ),
        "Sent back.",
    )


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
    if not form.is_valid():
        return _invalid(request, quote, form, Action.ACCEPT)
    action = Action(form.cleaned_data["decision"])
    data = form.cleaned_data
    if action == Action.ACCEPT:

        def step() -> None:
            services.quote_accept(
                quote=quote, actor=request.user, po_number=data["po_number"], request=request
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

    return _run(request, quote, step, DECISION_MESSAGES[action])


@login_required
@require_POST
def quote_withdraw(request: AuthenticatedRequest, number: str) -> HttpResponse:
    quote = quote_get_for_user(user=request.user, number=number)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _invalid(request, quote, form, Action.WITHDRAW)
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
    )
