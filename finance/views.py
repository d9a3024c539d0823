"""Finance's pages: the exports (finance only, each export its requester's alone; everyone
else gets the same 404 as a missing page), the dashboards (vendor staff, each seeing the
accounts they may) and the lists behind the dashboards' charts."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from contacts.http import AuthenticatedRequest
from corp_billing.paging import keyset_page
from purchase_orders import selectors as po_selectors
from quotes import selectors as quote_selectors
from quotes.tables import quote_list_table

from . import exports, panels, selectors, services
from .forms import DashboardForm, ExportForm, POsBehindForm, QuotesBehindForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The exports page lists the person's recent exports, this many a page.
EXPORTS_PAGE_SIZE = 25


def _finance_only(request: AuthenticatedRequest) -> None:
    if not selectors.may_export(request.user):
        raise Http404("No such page")


def _exports_page(request: AuthenticatedRequest, form: ExportForm, status: int = 200):
    page = keyset_page(
        selectors.exports_of(request.user),
        ordering=selectors.EXPORT_LIST_ORDER,
        request=request,
        size=EXPORTS_PAGE_SIZE,
    )
    context = {
        "form": form,
        "registers": exports.REGISTERS.values(),
        "page": page,
        "keep_days": services.keep_for().days,
    }
    return render(request, "finance/exports.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def exports_page(request: AuthenticatedRequest) -> HttpResponse:
    """The export form and the person's recent exports. Posting the form starts an export
    (a job writes it) and leads to the export's own page."""
    _finance_only(request)
    if request.method != "POST":
        return _exports_page(request, ExportForm(user=request.user))
    form = ExportForm(data=request.POST, user=request.user)
    if not form.is_valid():
        return _exports_page(request, form, status=400)
    export = services.export_request(
        user=request.user,
        choice=form.cleaned_data["register"],
        filters=form.filters(),
        request=request,
    )
    return redirect("finance:export", pk=export.pk)


@login_required
@require_GET
def export_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An export's status and progress (rows written per register), refreshing itself while
    its job will still change it; the download link once it is written."""
    export = selectors.export_get_for_user(user=request.user, pk=pk)
    titles = {r.key: r.title for r in exports.REGISTERS.values()}
    keys = list(titles) if export.register == exports.ALL else [export.register]
    progress = [(titles.get(key, key), export.rows.get(key)) for key in keys]
    return render(request, "finance/export.html", {"export": export, "progress": progress})


@login_required
@require_GET
def export_file(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The written workbook, to the person who asked for it while they may still export;
    everyone else, and an export not (or no longer) written, get the same 404."""
    export = selectors.export_get_for_user(user=request.user, pk=pk)
    if not export.downloadable:
        raise Http404("No such export")
    try:
        handle = services.stored_path(export).open("rb")
    except FileNotFoundError:
        raise Http404("No such export") from None
    services.export_downloaded(export=export, user=request.user, request=request)
    response = FileResponse(
        handle, as_attachment=True, filename=export.file_name, content_type=XLSX
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.may_see_dashboard(request.user):
        raise Http404("No such page")
    form = DashboardForm(data=request.GET)
    currency = form.cleaned_data["currency"] if form.is_valid() else ""
    figures = selectors.dashboard(user=request.user, currency=currency)
    return render(
        request,
        "finance/dashboard.html",
        {
            "figures": figures,
            "panels": panels.build(figures),
            "may_export": selectors.may_export(request.user),
        },
    )


@login_required
@require_GET
def quotes_behind(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.may_see_dashboard(request.user):
        raise Http404("No such page")
    form = QuotesBehindForm(data=request.GET)
    if not form.is_valid():
        raise Http404("No such list")
    page = keyset_page(
        selectors.quotes_behind(user=request.user, filters=form.filters()),
        ordering=quote_selectors.QUOTE_LIST_ORDER,
        request=request,
        rows=lambda quotes: quote_selectors.quote_list_rows(quotes, user=request.user),
    )
    rows = [(q, quote_selectors.shown_revision(user=request.user, quote=q)) for q in page]
    return render(
        request,
        "finance/quotes_behind.html",
        {"table": quote_list_table(rows), "page": page, "described": form.describe()},
    )


@login_required
@require_GET
def purchase_orders_behind(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.may_see_dashboard(request.user) or not po_selectors.may_read_some_ledger(
        request.user
    ):
        raise Http404("No such page")
    form = POsBehindForm(data=request.GET)
    if not form.is_valid():
        raise Http404("No such list")
    page = keyset_page(
        selectors.pos_behind(
            user=request.user,
            expiring=form.cleaned_data["expiring"],
            account=form.cleaned_data["account"],
        ),
        ordering=po_selectors.LIST_ORDER,
        request=request,
        rows=po_selectors.ledger_rows,
    )
    rows = [(po, po_selectors.flags(po)) for po in page]
    described = (
        f"active, expiring within {selectors.EXPIRY_DAYS} days"
        if form.cleaned_data["expiring"]
        else "all"
    )
    return render(
        request,
        "finance/pos_behind.html",
        {"rows": rows, "page": page, "described": described},
    )
