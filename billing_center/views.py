"""Billing Center pages: thin views over ``selectors``, ``pricing`` and ``services``.

Every page is of one self-service account, named in the URL. A signed-in member of the account
who is not a billing contact gets the "Contact your billing admin" page (the seed's wording, with
the Email the billing admin action) for every Billing Center URL, GET or POST, and nothing
changes. Staff with ``view_billing`` read; only billing contacts (``manage_billing``) write.
Another account's object and a missing one give the same 404.

A change is confirmed in two posts: the first shows the preview (what is charged now, from when,
the price per period after), the second carries the previewed figures back and the service
refuses unless they are still exact.

Method restrictions wrap the account lookup, as Django's own decorators do: a method the view
does not serve is a 405 before anything is looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from contacts import selectors as contact_selectors
from contacts.forms import BillingAdminEmailForm
from contacts.models import Account, User
from contacts.permissions import account_permissions
from corp_billing.paging import keyset_page

from . import policy, pricing, selectors, services
from .documents import invoice_filename, invoice_pdf
from .forms import AddPlanForm, CardForm, FrequencyForm, PlanForm, SeatsForm
from .policy import Action, BillingConflict
from .processor import CardRefused
from .tables import invoice_table

View = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """For type checking: behind ``login_required`` the user is one of ours, never anonymous."""

    user: User


def _contact_billing_admin(request: SignedInRequest, account: Account) -> HttpResponse:
    """The page ``contacts.views.account_home`` shows members; its form posts to
    ``contacts:email_billing_admin``."""
    primary = contact_selectors.primary_billing_contact(account=account)
    return render(
        request,
        "contacts/contact_billing_admin.html",
        {
            "account": account,
            "primary": primary,
            "form": BillingAdminEmailForm(),
            "site_name": "Billing Center",
        },
    )


def billing_center_page(*, write: bool = False) -> Callable[[View], View]:
    """Resolves the account of the URL for the signed-in person: 404 unless they may see it;
    the billing-admin page for members; for ``write`` pages, 404 unless they may change it."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: SignedInRequest, number: str, **kwargs: Any) -> HttpResponse:
            account = selectors.billing_account_for_user(user=request.user, number=number)
            perms = account_permissions(request.user, account)
            if "view_billing" not in perms:
                return _contact_billing_admin(request, account)
            if write and not policy.may_create(request.user, account, perms=perms):
                raise Http404("No such page")
            try:
                return view(request, account, perms, **kwargs)
            except PermissionDenied:
                # A missing right looks like a missing page (deny by default, same 404).
                raise Http404("No such page") from None

        return wrapper

    return decorate


def _flags(allowed: frozenset[Action]) -> dict[str, bool]:
    """``{"cancel": True, …}``: what templates test (``actions.cancel``) to show a button."""
    return {action.value: action in allowed for action in Action}


def _conflict(request: SignedInRequest, account: Account, exc: BillingConflict) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect("billing_center:account", number=account.number)


# --- pages ---------------------------------------------------------------------------------------


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """The Billing Center's landing page: straight to the account when there is one."""
    page = keyset_page(
        selectors.billing_center_accounts(user=request.user),
        ordering=["name", "id"],
        request=request,
    )
    if len(page) == 1 and not page.has_other_pages:
        return redirect("billing_center:account", number=page.rows[0].number)
    return render(request, "billing_center/home.html", {"accounts": page, "page": page})


@billing_center_page()
def account(request: SignedInRequest, account: Account, perms: frozenset[str]) -> HttpResponse:
    page = keyset_page(
        selectors.subscription_list(user=request.user, account=account),
        ordering=selectors.SUBSCRIPTION_LIST_ORDER,
        request=request,
    )
    plans = [
        (
            sub,
            _flags(policy.allowed_actions(request.user, sub, perms=perms)),
            policy.will_renew(sub),
        )
        for sub in page
    ]
    recent = list(selectors.invoice_list(user=request.user, account=account)[:5])
    return render(
        request,
        "billing_center/account.html",
        {
            "account": account,
            "plans": plans,
            "page": page,
            "may_manage": policy.may_create(request.user, account, perms=perms),
            "card": selectors.default_payment_method(user=request.user, account=account),
            "recent": invoice_table(account, recent),
        },
    )


def _preview_then_confirm(
    request: SignedInRequest,
    account: Account,
    form: Any,
    preview: Callable[[dict], pricing.Preview],
    apply: Callable[[dict], Any],
    done: Callable[[Any], str],
) -> tuple[HttpResponse | None, pricing.Preview | None]:
    """The one shape of every change that shows its price first: a valid form is previewed
    (``preview(data)``); a confirmed one (the figures the person saw, posted back) is applied
    (``apply(data)``), and a conflict (the figures moved since) is the form's error. Returns
    the redirect once applied, else the preview to show with the form."""
    if request.method != "POST" or not form.is_valid():
        return None, None
    data = form.cleaned_data
    try:
        shown = preview(data)
    except BillingConflict as exc:
        form.add_error(None, str(exc))
        return None, None
    if not form.confirmed():
        return None, shown
    try:
        result = apply(data)
    except BillingConflict as exc:
        form.add_error(None, str(exc))
        return None, shown
    messages.success(request, done(result))
    return redirect("billing_center:account", number=account.number), shown


def _charged(now: str, later: str) -> Callable[[Any], str]:
    """The message after a change charged at once (an invoice) or scheduled (none)."""
    return lambda invoice: (
        f"{now}; invoice {invoice.number} was charged." if invoice is not None else later
    )


@require_http_methods(["GET", "POST"])
@billing_center_page(write=True)
def plan_add(request: SignedInRequest, account: Account, perms: frozenset[str]) -> HttpResponse:
    form = AddPlanForm(request.POST or None, account=account)
    done, preview = _preview_then_confirm(
        request,
        account,
        form,
        preview=lambda data: pricing.new_plan_preview(
            account=account,
            product=data["product"],
            frequency=data["billing_frequency"],
            quantity=data["quantity"],
            today=pricing.local_today(account),
        ),
        apply=lambda data: services.subscription_add(
            actor=request.user,
            account=account,
            product=data["product"],
            billing_frequency=data["billing_frequency"],
            quantity=data["quantity"],
            charge_now=data["charge_now"],
            effective_on=data["effective_on"],
            request=request,
        ),
        done=lambda _: f"{form.cleaned_data['product'].name} was added.",
    )
    if done is not None:
        return done
    return render(
        request,
        "billing_center/plan_add.html",
        {
            "account": account,
            "form": form,
            "preview": preview,
            "card": selectors.default_payment_method(user=request.user, account=account),
        },
    )


@require_http_methods(["GET", "POST"])
@billing_center_page(write=True)
def plan_seats(
    request: SignedInRequest, account: Account, perms: frozenset[str], plan: int
) -> HttpResponse:
    sub = selectors.subscription_get(user=request.user, account=account, pk=plan)
    actions = policy.allowed_actions(request.user, sub, perms=perms)
    if not actions & {Action.ADD_SEATS, Action.REDUCE_SEATS}:
        return _conflict(request, account, BillingConflict(policy.refusal_for(sub)))
    form = SeatsForm(request.POST or None, initial={"quantity": sub.quantity})
    done, preview = _preview_then_confirm(
        request,
        account,
        form,
        preview=lambda data: pricing.seats_preview(
            subscription=sub, quantity=data["quantity"], today=pricing.local_today(account)
        ),
        apply=lambda data: services.subscription_change_seats(
            actor=request.user,
            subscription=sub,
            quantity=data["quantity"],
            charge_now=data["charge_now"],
            effective_on=data["effective_on"],
            request=request,
        ),
        done=_charged("Seats changed now", "The change is scheduled for the next renewal."),
    )
    if done is not None:
        return done
    return render(
        request,
        "billing_center/plan_seats.html",
        {
            "account": account,
            "sub": sub,
            "form": form,
            "preview": preview,
            "card": selectors.default_payment_method(user=request.user, account=account),
        },
    )


@require_http_methods(["GET", "POST"])
@billing_center_page(write=True)
def plan_change(
    request: SignedInRequest, account: Account, perms: frozenset[str], plan: int
) -> HttpResponse:
    """Another product for the plan: dearer at once (prorated), otherwise at the renewal."""
    sub = selectors.subscription_get(user=request.user, account=account, pk=plan)
    actions = policy.allowed_actions(request.user, sub, perms=perms)
    if not actions & {Action.UPGRADE_PLAN, Action.DOWNGRADE_PLAN}:
        return _conflict(request, account, BillingConflict(policy.refusal_for(sub)))
    offered = pricing.plans_on_offer(sub)
    form = PlanForm(request.POST or None, offered=offered)
    done, preview = _preview_then_confirm(
        request,
        account,
        form,
        preview=lambda data: pricing.plan_preview(
            subscription=sub, product=data["product"], today=pricing.local_today(account)
        ),
        apply=lambda data: services.subscription_change_plan(
            actor=request.user,
            subscription=sub,
            product=data["product"],
            charge_now=data["charge_now"],
            effective_on=data["effective_on"],
            request=request,
        ),
        done=_charged(
            "The plan was changed now", "The plan change is scheduled for the next renewal."
        ),
    )
    if done is not None:
        return done
    return render(
        request,
        "billing_center/plan_change.html",
        {
            "account": account,
            "sub": sub,
            "form": form,
            "preview": preview,
            "offered": offered,
            "card": selectors.default_payment_method(user=request.user, account=account),
        },
    )


@require_http_methods(["GET", "POST"])
@billing_center_page(write=True)
def plan_frequency(
    request: SignedInRequest, account: Account, perms: frozenset[str], plan: int
) -> HttpResponse:
    sub = selectors.subscription_get(user=request.user, account=account, pk=plan)
    if Action.CHANGE_FREQUENCY not in policy.allowed_actions(request.user, sub, perms=perms):
        return _conflict(request, account, BillingConflict(policy.refusal_for(sub)))
    offered = [
        (value, label)
        for value, label in FrequencyForm.base_fields["billing_frequency"].choices  # type: ignore[attr-defined]
        if value != sub.billing_frequency
        and pricing.list_price(sub.product, sub.currency, value) is not None
    ]
    form = FrequencyForm(request.POST or None)
    form.fields["billing_frequency"].choices = offered  # type: ignore[attr-defined]
    done, preview = _preview_then_confirm(
        request,
        account,
        form,
        preview=lambda data: pricing.frequency_preview(
            subscription=sub, frequency=data["billing_frequency"]
        ),
        apply=lambda data: services.subscription_change_frequency(
            actor=request.user,
            subscription=sub,
            billing_frequency=data["billing_frequency"],
            period_price_after=data["period_price_after"],
            effective_on=data["effective_on"],
            request=request,
        ),
        done=lambda _: "The new billing frequency starts at the next renewal.",
    )
    if done is not None:
        return done
    return render(
        request,
        "billing_center/plan_frequency.html",
        {"account": account, "sub": sub, "form": form, "preview": preview, "offered": offered},
    )


def _plan_action(service: Callable[..., Any], done: str) -> View:
    @require_POST
    @billing_center_page(write=True)
    def view(request: SignedInRequest, account: Account, perms: frozenset[str], plan: int):
        sub = selectors.subscription_get(user=request.user, account=account, pk=plan)
        try:
            service(actor=request.user, subscription=sub, request=request)
        except BillingConflict as exc:
            return _conflict(request, account, exc)
        messages.success(request, done)
        return redirect("billing_center:account", number=account.number)

    return view


plan_cancel = _plan_action(
    services.subscription_cancel, "The plan will cancel at the end of its term."
)
plan_undo_cancel = _plan_action(
    services.subscription_undo_cancel, "The cancellation was undone; the plan will renew."
)
plan_withdraw_change = _plan_action(
    services.subscription_withdraw_change, "The scheduled change was withdrawn."
)


@billing_center_page()
def invoices(request: SignedInRequest, account: Account, perms: frozenset[str]) -> HttpResponse:
    page = keyset_page(
        selectors.invoice_list(user=request.user, account=account),
        ordering=selectors.INVOICE_LIST_ORDER,
        request=request,
    )
    return render(
        request,
        "billing_center/invoices.html",
        {"account": account, "table": invoice_table(account, page), "page": page},
    )


@billing_center_page()
def invoice(
    request: SignedInRequest, account: Account, perms: frozenset[str], invoice: str
) -> HttpResponse:
    found = selectors.invoice_get(user=request.user, account=account, number=invoice)
    return render(
        request,
        "billing_center/invoice.html",
        {
            "account": account,
            "invoice": found,
            "actions": _flags(policy.allowed_actions(request.user, found, perms=perms)),
        },
    )


@billing_center_page()
def invoice_pdf_view(
    request: SignedInRequest, account: Account, perms: frozenset[str], invoice: str
) -> HttpResponse:
    found = selectors.invoice_get(user=request.user, account=account, number=invoice)
    response = HttpResponse(invoice_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(found)}"'
    return response


@require_POST
@billing_center_page(write=True)
def invoice_pay(
    request: SignedInRequest, account: Account, perms: frozenset[str], invoice: str
) -> HttpResponse:
    found = selectors.invoice_get(user=request.user, account=account, number=invoice)
    try:
        paid = services.invoice_pay(actor=request.user, invoice=found, request=request)
    except BillingConflict as exc:
        messages.error(request, str(exc))
    else:
        if paid.paid_at is not None:
            messages.success(request, f"Invoice {paid.number} was paid with {paid.paid_with}.")
        else:
            messages.error(request, f"The payment was declined: {paid.last_decline}")
    return redirect("billing_center:invoice", number=account.number, invoice=found.number)


@sensitive_post_parameters("number", "cvc")
@require_http_methods(["GET", "POST"])
@billing_center_page()
@sensitive_variables("form")
def payment(request: SignedInRequest, account: Account, perms: frozenset[str]) -> HttpResponse:
    may_manage = policy.may_create(request.user, account, perms=perms)
    if request.method == "POST" and not may_manage:
        raise Http404("No such page")
    form = CardForm(request.POST or None, today=pricing.local_today(account))
    if request.method == "POST" and form.is_valid():
        try:
            method = services.payment_method_add(
                actor=request.user, account=account, card=form.card(), request=request
            )
        except CardRefused as exc:
            form.add_error("number", str(exc))
        else:
            messages.success(request, f"{method.label} is now your default payment method.")
            return redirect("billing_center:payment", number=account.number)
    page = keyset_page(
        selectors.payment_method_list(user=request.user, account=account),
        ordering=selectors.PAYMENT_METHOD_LIST_ORDER,
        request=request,
    )
    methods = [(m, _flags(policy.allowed_actions(request.user, m, perms=perms))) for m in page]
    return render(
        request,
        "billing_center/payment.html",
        {
            "account": account,
            "form": form,
            "methods": methods,
            "page": page,
            "may_manage": may_manage,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _method_action(service: Callable[..., Any], done: str) -> View:
    @require_POST
    @billing_center_page(write=True)
    def view(request: SignedInRequest, account: Account, perms: frozenset[str], method: int):
        found = selectors.payment_method_get(user=request.user, account=account, pk=method)
        try:
            service(actor=request.user, method=found, request=request)
        except BillingConflict as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done.format(label=found.label))
        return redirect("billing_center:payment", number=account.number)

    return view


payment_make_default = _method_action(
    services.payment_method_make_default, "{label} is now your default payment method."
)
payment_remove = _method_action(services.payment_method_remove, "{label} was removed.")
