"""Finance's pages: the exports (finance only; everyone else gets the same 404 as a missing
page), the dashboards (vendor staff, each seeing the accounts they may) and the lists behind
the dashboards' charts."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from contacts.http import AuthenticatedRequest
from corp_billing.paging import keyset_page
from purchase_orders import selectors as po_selectors
from quotes import selectors as quote_selectors
from quotes.tables import quote_list_table

from . import exports, panels, selectors, services
from .forms import DashboardForm, ExportForm, POsBehindForm, QuotesBehindForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A workbook is spooled in memory up to this size, then on disk, and streamed from there.
SPOOL_BYTES = 8 * 1024 * 1024


def _finance_only(request: AuthenticatedRequest) -> None:
    if not selectors.may_export(request.user):
        raise Http404("No such page")


@login_required
@require_GET
def exports_page(request: AuthenticatedRequest) -> HttpResponse:
    _finance_only(request)
    form = ExportForm(user=request.user)
    return render(
        request,
        "finance/exports.html",
        {"form": form, "registers": exports.REGISTERS.values()},
    )


@login_required
@require_GET
def export_download(request: AuthenticatedRequest) -> HttpResponseBase:
    _finance_only(request)
    form = ExportForm(data=request.GET, user=request.user)
    if not form.is_valid():
        context = {"form": form, "registers": exports.REGISTERS.values()}
        return render(request, "finance/exports.html", context, status=400)
    choice = form.cleaned_data["register"]
    at = timezone.now()
    # Written row by row (write-only, rows read in batches) to a spooled file, then streamed:
    # memory stays flat whatever the size of the export.
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (FileResponse closes it)
    services.workbook_write(
        user=request.user, choice=choice, filters=form.filters(), out=out, at=at
    )
    out.seek(0)
    response = FileResponse(
        out, as_attachment=True, filename=exports.file_name(choice, at), content_type=XLSX
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
