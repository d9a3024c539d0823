"""The PO ledger over HTTP: validate a form, call one service, render or redirect. The steps of a
PO change are workflow steps (``workflows.views``); this module reads and creates.

Whoever may not read an account's ledger gets the same 404 for its PO, change or document as for
one that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts.http import AuthenticatedRequest
from contacts.permissions import account_permissions
from corp_billing.paging import keyset_page

from . import documents, policy, selectors, services
from .forms import ChangeProposalForm, ChangeReviewForm, CloseForm, PurchaseOrderForm
from .policy import Action


def _ledger_page(request: AuthenticatedRequest, queryset, **context) -> HttpResponse:
    page = keyset_page(
        queryset, ordering=selectors.LIST_ORDER, request=request, rows=selectors.ledger_rows
    )
    rows = [(po, selectors.flags(po)) for po in page]
    return render(request, "purchase_orders/ledger.html", {"rows": rows, "page": page, **context})


@login_required
@require_GET
def ledger_all(request: AuthenticatedRequest) -> HttpResponse:
    """Every PO the person reads, across their accounts (finance: all accounts)."""
    if not selectors.may_read_some_ledger(request.user):
        raise Http404("No such page")
    return _ledger_page(
        request,
        selectors.ledger(user=request.user),
        create_accounts=selectors.accounts_to_create_on(user=request.user),
    )


@login_required
@require_GET
def ledger(request: AuthenticatedRequest, number: str) -> HttpResponse:
    account = selectors.account_for_ledger(user=request.user, number=number)
    return _ledger_page(
        request,
        selectors.ledger(user=request.user, account=account),
        account=account,
        may_create=policy.may_create(account_permissions(request.user, account)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def po_create(request: AuthenticatedRequest, number: str) -> HttpResponse:
    account = selectors.account_for_ledger(user=request.user, number=number)
    if not policy.may_create(account_permissions(request.user, account)):
        raise Http404("No such page")
    form = PurchaseOrderForm(data=request.POST or None, files=request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            po = services.purchase_order_create(
                account=account, actor=request.user, new=form.new(), request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            raise Http404("No such page") from None
        else:
            messages.success(request, f"Purchase order {po.number} was added to the ledger.")
            return redirect("purchase_orders:detail", pk=po.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "purchase_orders/po_create.html", {"account": account, "form": form}, status=status
    )


@login_required
@require_GET
def po_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    po = selectors.po_get_for_user(user=request.user, pk=pk)
    perms = account_permissions(request.user, po.account)
    open_changes = []
    for change in selectors.po_open_changes(po=po):
        change.purchase_order = po
        actions = {a.value for a in policy.change_actions(request.user, change, perms=perms)}
        open_changes.append((change, actions, policy.awaits_rebase(change)))
    po_actions = policy.po_actions(request.user, po, perms=perms)
    may_propose = Action.PROPOSE_CHANGE in po_actions
    proposal = ChangeProposalForm(
        initial={
            "number": po.number,
            "amount": po.amount,
            "valid_from": po.valid_from,
            "valid_to": po.valid_to,
            "base_version": po.version,
        }
    )
    context = {
        "po": po,
        "account": po.account,
        "figures": selectors.flags(po),
        "open_changes": open_changes,
        "history": keyset_page(
            selectors.po_changes(po=po),
            ordering=selectors.CHANGE_ORDER,
            request=request,
            param="history",
        ),
        "documents": keyset_page(
            selectors.po_documents(po=po),
            ordering=["-uploaded_at", "-id"],
            request=request,
            param="documents",
        ),
        "quotes": keyset_page(
            selectors.po_quotes(po=po),
            ordering=["-accepted_at", "-id"],
            request=request,
            param="quotes",
        ),
        "may_propose": may_propose,
        # Closing waits for any open change to be decided or withdrawn (the service refuses).
        "may_close": Action.CLOSE in po_actions and not open_changes,
        "close_waits": Action.CLOSE in po_actions and bool(open_changes),
        "close_form": CloseForm(prefix=CLOSE_PREFIX),
        "proposal_form": proposal,
        "review_form": ChangeReviewForm(),
    }
    return render(request, "purchase_orders/po_detail.html", context)


# The close form shares the page with the change proposal, which has a "reason" too.
CLOSE_PREFIX = "close"


@login_required
@require_POST
def po_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A billing contact closes a PO: nothing more can be charged to it."""
    po = selectors.po_get_for_user(user=request.user, pk=pk)
    try:
        policy.require_right(request.user, Action.CLOSE, po.account)
    except PermissionDenied:
        raise Http404("No such purchase order") from None
    form = CloseForm(request.POST, prefix=CLOSE_PREFIX)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("purchase_orders:detail", pk=po.pk)
    try:
        services.po_close(
            purchase_order=po,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (services.POConflict, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            f"Purchase order {po.number} is closed: no quote can be charged to it any more. "
            "Your representative has been told.",
        )
    return redirect("purchase_orders:detail", pk=po.pk)


@login_required
@require_GET
def document_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    try:
        handle = documents.open_stored(document.stored_name)
    except FileNotFoundError:
        raise Http404("No such document") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=documents.download_name(document.original_name),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
