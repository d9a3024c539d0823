from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from contacts.permissions import account_permissions
from contacts.selectors import account_get_for_user
from corp_billing.paging import keyset_page
from corp_billing.times import today_in

from . import policy, selectors, services
from .diff import revision_diff
from .documents import pdf_filename, sha256
from .forms import (
    BaseLineFormSet,
    DecisionForm,
    LineFormSet,
    QuoteCreateForm,
    QuoteHeaderForm,
    QuoteListFilterForm,
    ReviewForm,
    SecondAcceptanceForm,
    WithdrawForm,
)
from .models import BillingFrequency
from .periods import term_value, total_covers
from .policy import Action
from .tables import draftable_account_table, quote_list_table


@login_required
def quote_list(request):
    form = QuoteListFilterForm(
        request.GET,
        statuses=selectors.quote_list_statuses(request.user),
        sorts=[(key, label) for key, (label, _) in selectors.QUOTE_SORTS.items()],
    )
    form.is_valid()  # a field in error is left out of the filter and shown with its message
    chosen = form.cleaned_data
    account = None
    if chosen.get("account"):
        # The accounts whose quotes the person sees; another's and a missing one: the same 404.
        codename = "view_billing" if request.user.is_vendor_staff else "approve_quote"
        account = account_get_for_user(
            user=request.user, number=chosen["account"], codename=codename
        )
    sort = chosen.get("sort") or selectors.DEFAULT_SORT
    page = keyset_page(
        selectors.quote_list(
            user=request.user,
            search=chosen.get("q", ""),
            status=chosen.get("status", ""),
            account=account,
            sort=sort,
        ),
        ordering=selectors.QUOTE_SORTS[sort][1],
        request=request,
        rows=lambda quotes: selectors.quote_list_rows(quotes, user=request.user, sort=sort),
        key=sort,
    )
    rows = [(quote, selectors.shown_revision(user=request.user, quote=quote)) for quote in page]
    filtered = any(chosen.get(name) for name in ("q", "status", "account"))
    return render(
        request,
        "quotes/quote_list.html",
        {
            "table": quote_list_table(rows, filtered=filtered),
            "page": page,
            "form": form,
            "account": account,
            "filtered": filtered,
            "may_draft": selectors.may_draft_quotes(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET"])
def quote_new(request):
    """The quotes list's "New quote": pick one of your accounts, then the create form."""
    if not selectors.may_draft_quotes(user=request.user):
        raise Http404("No account to quote for")
    # (a NUL cannot be compared by PostgreSQL: it is never part of an account's number or name)
    query = request.GET.get("q", "")[:100].replace("\x00", "")
    page = keyset_page(
        selectors.draftable_accounts(user=request.user, query=query),
        ordering=selectors.DRAFTABLE_ORDER,
        request=request,
    )
    return render(
        request,
        "quotes/quote_new.html",
        {"table": draftable_account_table(page), "page": page, "query": query},
    )


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request, number: str):
    account = account_get_for_user(user=request.user, number=number, codename="draft_quote")
    form = QuoteCreateForm(
        data=request.POST or None,
        initial={"valid_until": services.default_valid_until(account)},
        today=today_in(account),
        time_zone=account.time_zone,
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


def _revision_page(request, quote, revision, revisions, *, forms=None, status=200):
    """``revisions`` is the person's ``revisions_visible`` list, loaded once by the caller; the
    shown revision and the one before it get their lines in one more query. ``forms`` are bound
    forms of a refused step, by context name (``decision_form``, ``po_form``, …)."""
    previous = next((r for r in reversed(revisions) if r.number < revision.number), None)
    for r in (revision, previous):
        if r is not None:
            r.quote = quote
    prefetch_related_objects([r for r in (revision, previous) if r is not None], "lines")
    perms = account_permissions(request.user, quote.account)
    allowed = policy.allowed_actions(request.user, revision, perms=perms)
    is_staff = request.user.is_vendor_staff
    checks = (
        selectors.approval_shown(revision, editable=policy.is_editable(revision))
        if is_staff
        else []
    )
    # The rules the person reviewing now is asked about: their own tier's, still unapproved.
    review_tiers = {
        policy.REVIEW_TIER[action] for action in allowed if action in policy.REVIEW_TIER
    }
    acceptance = getattr(revision, "acceptance", None)
    awaiting_second = policy.first_signer_id(revision) is not None
    diff = None
    if previous is not None:
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
        "approval_checks": checks,
        "sent_back_by": selectors.sent_back_by(revision) if revision.review_comment else "",
        "review_checks": [c for c in checks if c.needs_approval and c.tier in review_tiers],
        # One flag per action of the status table, for the template's buttons.
        "actions": {action.value: action in allowed for action in Action},
        "history": keyset_page(
            selectors.quote_history(user=request.user, quote=quote),
            ordering=selectors.HISTORY_ORDER,
            request=request,
            param="history",
        ),
        "expires_at": policy.expires_at(revision),
        "has_expired": policy.has_expired(revision),
        "revise_note": policy.transition_note(revision, Action.REVISE),
        "acceptance": acceptance,
        "awaiting_second": awaiting_second,
        "second_form": SecondAcceptanceForm(
            initial={"pdf_sha256": acceptance.pdf_sha256 if acceptance else ""}
        ),
        "accepted_filename": pdf_filename(revision, original=True),
        "stamped_filename": pdf_filename(revision),
        "covers": total_covers(revision.billing_frequency),
        "term": term_value(
            revision.total,
            frequency=revision.billing_frequency,
            term_months=revision.term_months,
            currency=revision.currency,
        ),
        "review_form": ReviewForm(),
        "decision_form": DecisionForm(),
        "withdraw_form": WithdrawForm(),
        **(forms or {}),
    }
    return render(request, "quotes/quote_detail.html", context, status=status)


def quote_page_again(request, quote, *, forms: dict, status: int = 400):
    """The quote's page as the person last saw it, with ``forms`` (bound, with their errors)
    in place of the empty ones: a refused step shows each error at its field and keeps what
    was typed. The caller has checked the person's right to the step."""
    revisions = list(selectors.revisions_visible(user=request.user, quote=quote))
    revision = selectors.revision_shown(user=request.user, quote=quote, revisions=revisions)
    return _revision_page(request, quote, revision, revisions, forms=forms, status=status)


@login_required
def quote_detail(request, number: str):
    quote = selectors.quote_get_for_user(user=request.user, number=number)
    revisions = list(selectors.revisions_visible(user=request.user, quote=quote))
    revision = selectors.revision_shown(user=request.user, quote=quote, revisions=revisions)
    return _revision_page(request, quote, revision, revisions)


@login_required
def revision_detail(request, number: str, rev: int):
    quote = selectors.quote_get_for_user(user=request.user, number=number)
    revisions = list(selectors.revisions_visible(user=request.user, quote=quote))
    revision = selectors.revision_pick(quote=quote, revisions=revisions, number=rev)
    return _revision_page(request, quote, revision, revisions)


@login_required
def revision_pdf_view(request, number: str, rev: int, original: bool = False):
    quote = selectors.quote_get_for_user(user=request.user, number=number)
    revision = selectors.revision_get_for_user(user=request.user, quote=quote, number=rev)
    if original and getattr(revision, "acceptance", None) is None:
        raise Http404("This revision was not accepted")
    data = services.revision_download(revision=revision, original=original)
    response = HttpResponse(data, content_type="application/pdf")
    filename = pdf_filename(revision, original=original)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-SHA256"] = sha256(data)
    return response


def _quote_for_drafting(request, number):
    """The quote, if the person may draft quotes on its account; else the same 404."""
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
    quote = _quote_for_drafting(request, number)
    revision = selectors.revision_with_lines(quote.current_revision)
    if Action.EDIT not in policy.allowed_actions(request.user, revision):
        messages.error(request, f"Revision {revision.number} is not a draft: it cannot be edited.")
        return redirect("quotes:detail", number=quote.number)
    # The lines are priced in the frequency being posted; an unknown one is the header form's
    # error to report, so price them in the stored one meanwhile.
    frequency = request.POST.get("billing_frequency", "")
    if frequency not in BillingFrequency.values:
        frequency = revision.billing_frequency
    account = quote.account
    header = QuoteHeaderForm(
        data=request.POST or None,
        today=today_in(account),
        time_zone=account.time_zone,
        initial={
            "title": revision.title or quote.title,
            "term_months": revision.term_months,
            "billing_frequency": revision.billing_frequency,
            "valid_until": revision.valid_until,
            "terms": revision.terms,
            "notes": revision.notes,
        },
    )
    data = request.POST or None
    adding = request.method == "POST" and "add_line" in request.POST
    if adding:
        # Without JavaScript, "Add a line" posts the page back with one more row: nothing is
        # saved, everything typed is kept.
        data = _with_one_more_row(request.POST, "lines")
    lines: BaseLineFormSet = LineFormSet(  # type: ignore[call-arg,assignment]
        data=data,
        initial=_line_initial(revision) if request.method == "GET" else None,
        currency=revision.currency,
        billing_frequency=frequency,
        prefix="lines",
    )
    if request.method == "POST" and not adding and header.is_valid() and lines.is_valid():
        try:
            services.revision_update(
                revision=revision,
                actor=request.user,
                lines=lines.lines(),
                request=request,
                **header.cleaned_data,
            )
        except policy.QuoteConflict as exc:
            messages.error(request, str(exc))
            return redirect("quotes:detail", number=quote.number)
        messages.success(request, f"Revision {revision.number} saved.")
        if "save_and_continue" in request.POST:
            return redirect("quotes:edit", number=quote.number)
        return redirect("quotes:detail", number=quote.number)
    status = 400 if request.method == "POST" and not adding else 200
    return render(
        request,
        "quotes/quote_edit.html",
        {
            "quote": quote,
            "revision": revision,
            "header": header,
            "lines": lines,
            "preview": selectors.edit_preview_config(revision),
        },
        status=status,
    )


def _with_one_more_row(post, prefix: str):
    data = post.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, "0"))
    except ValueError:
        return data  # a broken management form is the formset's error to report
    data[key] = str(min(total + 1, LineFormSet.max_num))
    return data


@login_required
@require_POST
def quote_new_revision(request, number: str):
    quote = _quote_for_drafting(request, number)
    try:
        revision = services.revision_start_next(quote=quote, actor=request.user, request=request)
    except (policy.QuoteConflict, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("quotes:detail", number=quote.number)
    messages.success(request, f"Revision {revision.number} is a draft: edit it, then submit it.")
    return redirect("quotes:edit", number=quote.number)
