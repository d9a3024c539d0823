from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quotes.forms import DecisionForm, ReviewForm
from quotes.selectors import quote_get_for_user
from quotes.services import QuoteConflict

from . import selectors, services


def _conflict(request, quote, message):
    return render(
        request, "workflows/conflict.html", {"quote": quote, "message": message}, status=409
    )


def _run(request, quote, action, success):
    """Runs one workflow step; a lost race is a 409 page, a refused right the same 404 as a
    missing quote, a business rule a message on the quote page. Nothing is half-applied."""
    try:
        action()
    except QuoteConflict as exc:
        return _conflict(request, quote, str(exc))
    except PermissionDenied:
        raise Http404("No such quote") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quotes:detail", number=quote.number)
    messages.success(request, success)
    return redirect("quotes:detail", number=quote.number)


def _invalid(request, quote, form, codename):
    # Someone without the right learns nothing about the form: the same 404 as a missing quote.
    if not services.has_account_permission(request.user, codename, quote.account):
        raise Http404("No such quote")
    messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("quotes:detail", number=quote.number)


@login_required
def inbox(request):
    return render(request, "workflows/inbox.html", {"tasks": selectors.inbox(user=request.user)})


@login_required
@require_POST
def quote_submit(request, number: str):
    quote = quote_get_for_user(user=request.user, number=number)
    return _run(
        request,
        quote,
        lambda: services.quote_submit(quote=quote, actor=request.user, request=request),
        "Quote submitted.",
    )


@login_required
@require_POST
def quote_review(request, number: str):
    quote = quote_get_for_user(user=request.user, number=number)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _invalid(request, quote, form, "approve_deal")
    approve = form.cleaned_data["decision"] == "approve"
    return _run(
        request,
        quote,
        lambda: services.quote_review(
            quote=quote,
            actor=request.user,
            approve=approve,
            comment=form.cleaned_data["comment"],
            request=request,
        ),
        "Approved: the quote was sent to the customer." if approve else "Sent back.",
    )


DECISION_MESSAGES = {
    services.ACCEPT: "You accepted the quote. Your representative has been told.",
    services.REJECT: "You rejected the quote. Your representative has been told.",
    services.REQUEST_CHANGES: "Your change request was sent to your representative.",
}


@login_required
@require_POST
def quote_decide(request, number: str):
    quote = quote_get_for_user(user=request.user, number=number)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, quote, form, "approve_quote")
    decision = form.cleaned_data["decision"]
    return _run(
        request,
        quote,
        lambda: services.quote_decide(
            quote=quote,
            actor=request.user,
            decision=decision,
            comment=form.cleaned_data["comment"],
            po_number=form.cleaned_data["po_number"],
            request=request,
        ),
        DECISION_MESSAGES[decision],
    )
