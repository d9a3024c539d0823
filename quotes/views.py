from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import AuditAction
from contacts.permissions import account_permissions
from contacts.selectors import account_get_for_user

from . import selectors, services
from .diff import revision_diff
from .documents import revision_pdf, sha256
from .forms import DecisionForm, LineFormSet, QuoteCreateForm, QuoteHeaderForm, ReviewForm
from .models import RevisionStatus

# What a customer may read of a quote's history; approvals are the vendor's internal business.
CUSTOMER_EVENTS = {
    AuditAction.QUOTE_SENT,
    AuditAction.QUOTE_ACCEPTED,
    AuditAction.QUOTE_REJECTED,
    AuditAction.QUOTE_CHANGES_REQUESTED,
    AuditAction.QUOTE_EXPIRED,
    AuditAction.QUOTE_REMINDER_SENT,
}


@login_required
def quote_list(request):
    quotes = selectors.quote_list(user=request.user)
    return render(request, "quotes/quote_list.html", {"quotes": quotes})


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request, number: str):
    account = account_get_for_user(user=request.user, number=number, codename="draft_quote")
    form = QuoteCreateForm(
        data=request.POST or None,
        initial={"valid_until": services.default_valid_until(account)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quote = services.quote_create(
            account=account,
            actor=request.user,
            title=data["title"],
            idempotency_key=data["idempotency_key"],
            term_months=data["term_months"],
            billing_frequency=data["billing_frequency"],
            valid_until=data["valid_until"],
            terms=data["terms"],
            notes=data["notes"],
            request=request,
        )
        return redirect("quotes:edit", number=quote.number)
    return render(request, "quotes/quote_create.html", {"account": account, "form": form})


def _actions(user, quote, revision, perms) -> dict:
    is_current = quote.current_revision_id == revision.pk
    status = revision.status
    return {
        "edit": is_current and "draft_quote" in perms and status == RevisionStatus.DRAFT,
        "review": is_current
        and "approve_deal" in perms
        and status == RevisionStatus.PENDING_APPROVAL,
        "decide": is_current
        and "approve_quote" in perms
        and status == RevisionStatus.SENT
        and not services.revision_is_expired(revision),
        "start_next": is_current
        and "draft_quote" in perms
        and status
        in (RevisionStatus.CHANGES_REQUESTED, RevisionStatus.REJECTED, RevisionStatus.EXPIRED),
    }


def _history(user, quote):
    events = selectors.quote_history(quote=quote)
    if not user.is_vendor_staff:
        events = events.filter(action__in=CUSTOMER_EVENTS)
    return events


def _revision_page(request, quote, revision):
    revision = selectors.revision_with_lines(revision)
    perms = account_permissions(request.user, quote.account)
    is_staff = request.user.is_vendor_staff
    revisions = list(selectors.revisions_visible(user=request.user, quote=quote))
    previous = next((r for r in reversed(revisions) if r.number < revision.number), None)
    diff = None
    if previous is not None:
        previous = selectors.revision_with_lines(previous)
        diff = revision_diff(previous, revision, previous.lines.all(), revision.lines.all())
    context = {
        "quote": quote,
        "account": quote.account,
        "revision": revision,
        "lines": revision.lines.all(),
        "revisions": revisions,
        "previous": previous,
        "diff": diff,
        "is_current": quote.current_revision_id == revision.pk,
        "rule_hits": services.revision_rule_hits(revision) if is_staff else [],
        "approval_valid": services.revision_has_valid_approval(revision) if is_staff else False,
        "actions": _actions(request.user, quote, revision, perms),
        "history": _history(request.user, quote),
        "expires_at": services.revision_expires_at(revision),
        "acceptance": getattr(revision, "acceptance", None),
        "review_form": ReviewForm(),
        "decision_form": DecisionForm(),
    }
    return render(request, "quotes/quote_detail.html", context)


@login_required
def quote_detail(request, number: str):
    quote = selectors.quote_get_for_user(user=request.user, number=number)
    revision = selectors.revision_shown(user=request.user, quote=quote)
    return _revision_page(request, quote, revision)


@login_required
def revision_detail(request, number: str, rev: int):
    quote = selectors.quote_get_for_user(user=request.user, number=number)
    revision = selectors.revision_get_for_user(user=request.user, quote=quote, number=rev)
    return _revision_page(request, quote, revision)


@login_required
def revision_pdf_view(request, number: str, rev: int, original: bool = False):
    quote = selectors.quote_get_for_user(user=request.user, number=number)
    revision = selectors.revision_get_for_user(user=request.user, quote=quote, number=rev)
    revision = selectors.revision_with_lines(revision)
    data = revision_pdf(revision, stamped=not original)
    response = HttpResponse(data, content_type="application/pdf")
    suffix = "-as-accepted" if original else ""
    response["Content-Disposition"] = (
        f'attachment; filename="{quote.number}-rev{revision.number}{suffix}.pdf"'
    )
    response["X-Content-SHA256"] = sha256(data)
    return response


def _draft_for_staff(request, number):
    quote = selectors.quote_get_for_user(user=request.user, number=number)
    if "draft_quote" not in account_permissions(request.user, quote.account):
        raise Http404("No such quote")
    return quote


def _line_initial(revision):
    return [
        {
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "description": line.description,
        }
        for line in revision.lines.all()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit(request, number: str):
    quote = _draft_for_staff(request, number)
    revision = selectors.revision_with_lines(quote.current_revision)
    if revision.status != RevisionStatus.DRAFT:
        messages.error(request, f"Revision {revision.number} is not a draft: it cannot be edited.")
        return redirect("quotes:detail", number=quote.number)
    frequency = request.POST.get("billing_frequency") or revision.billing_frequency
    header = QuoteHeaderForm(
        data=request.POST or None,
        initial={
            "term_months": revision.term_months,
            "billing_frequency": revision.billing_frequency,
            "valid_until": revision.valid_until,
            "terms": revision.terms,
            "notes": revision.notes,
        },
    )
    lines = LineFormSet(
        data=request.POST or None,
        initial=_line_initial(revision) if request.method == "GET" else None,
        currency=revision.currency,
        billing_frequency=frequency,
        prefix="lines",
    )
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        try:
            services.revision_update(
                revision=revision,
                actor=request.user,
                lines=lines.lines(),
                request=request,
                **header.cleaned_data,
            )
        except services.QuoteConflict as exc:
            messages.error(request, str(exc))
            return redirect("quotes:detail", number=quote.number)
        messages.success(request, f"Revision {revision.number} saved.")
        if "save_and_continue" in request.POST:
            return redirect("quotes:edit", number=quote.number)
        return redirect("quotes:detail", number=quote.number)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "quotes/quote_edit.html",
        {"quote": quote, "revision": revision, "header": header, "lines": lines},
        status=status,
    )


@login_required
@require_POST
def quote_new_revision(request, number: str):
    quote = _draft_for_staff(request, number)
    try:
        revision = services.revision_start_next(quote=quote, actor=request.user, request=request)
    except (services.QuoteConflict, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("quotes:detail", number=quote.number)
    messages.success(request, f"Revision {revision.number} is a draft: edit it, then submit it.")
    return redirect("quotes:edit", number=quote.number)
