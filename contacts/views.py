from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from corp_billing.paging import keyset_page

from . import changes, permissions, selectors, services
from .backends import BILLING_CENTER, CORPORATE_PORTAL, STAFF_PORTAL
from .forms import (
    INVALID_LOGIN_EXPLANATION,
    PROPOSAL_FORMS,
    BillingAdminEmailForm,
    LoginForm,
    PasswordResetRequestForm,
    SecondAcceptanceAmountForm,
    proposal_form,
)
from .links import LOGIN_URL_NAMES
from .tables import staff_account_table

LOGIN_TEMPLATES = {
    CORPORATE_PORTAL: "contacts/login_corporate.html",
    BILLING_CENTER: "contacts/login_billing_center.html",
    STAFF_PORTAL: "contacts/login_staff.html",
}


def _portal_of(request) -> str:
    """The portal a page was reached from (``?portal=`` on the shared password-reset pages):
    its sign-in is where "Back to sign in" leads. Anything else is the Billing Center."""
    portal = request.GET.get("portal", "")
    return portal if portal in (CORPORATE_PORTAL, STAFF_PORTAL) else BILLING_CENTER


def _portal_context(portal: str) -> dict:
    return {
        "portal": portal,
        "login_url": reverse(LOGIN_URL_NAMES[portal]),
        "portal_query": "" if portal == BILLING_CENTER else f"?portal={portal}",
    }


def _user_portal(user) -> str:
    """The sign-in page that is this person's: staff, Corporate Billing Portal or Billing
    Center."""
    if user.is_vendor_staff:
        return STAFF_PORTAL
    if services.invitation_login_url_name(user) == LOGIN_URL_NAMES[CORPORATE_PORTAL]:
        return CORPORATE_PORTAL
    return BILLING_CENTER


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    # A path of this site only: a bare word would be taken for a view name by ``redirect``.
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return None


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request, portal: str):
    target = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated and target:
        # A link from an e-mail leads through the sign-in; someone signed in goes straight on.
        return HttpResponseRedirect(target)
    form = LoginForm(request, portal, data=request.POST or None)
    # Sign-ins and failures are audited from Django's authentication signals
    # (contacts.receivers), so the admin's sign-in is audited the same way as this one.
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        return HttpResponseRedirect(target or reverse("contacts:home"))
    return render(
        request,
        LOGIN_TEMPLATES[portal],
        {
            "form": form,
            "next": target or "",
            "invalid_explanation": INVALID_LOGIN_EXPLANATION,
            **_portal_context(portal),
        },
    )


def lockout_response(request, original_response=None, credentials=None):
    """django-axes calls this for a locked (login ID, address) pair: the same login page, with
    a clear message and 429."""
    portal = BILLING_CENTER
    if request.path.startswith("/corp-billing/"):
        portal = CORPORATE_PORTAL
    elif request.path.startswith("/staff/"):
        portal = STAFF_PORTAL
    form = LoginForm(request, portal)
    return render(
        request,
        LOGIN_TEMPLATES[portal],
        {"form": form, "locked_out": True, "next": "", **_portal_context(portal)},
        status=429,
    )


@require_POST
def logout_view(request):
    portal = BILLING_CENTER
    if request.user.is_authenticated:
        portal = _user_portal(request.user)
        audit_record(action=AuditAction.LOGOUT, actor=request.user, request=request)
    logout(request)
    # Back to the sign-in of the site the person was in, not another site's.
    return redirect(LOGIN_URL_NAMES[portal])


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_view(request):
    form = PasswordResetRequestForm(data=request.POST or None)
    context = {"form": form, **_portal_context(_portal_of(request))}
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_request(login_id=form.cleaned_data["username"], request=request)
        except services.RateLimited as exc:
            form.add_error(None, str(exc))
            return render(request, "contacts/password_reset.html", context, status=429)
        return redirect(reverse("contacts:password_reset_done") + context["portal_query"])
    return render(request, "contacts/password_reset.html", context)


def password_reset_done_view(request):
    return render(
        request, "contacts/password_reset_done.html", _portal_context(_portal_of(request))
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "contacts/password_reset_confirm.html"
    success_url = reverse_lazy("contacts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_completed(user=form.user, request=self.request)
        # The page after it offers the sign-in of the person's own site.
        portal = _user_portal(form.user)
        if portal != BILLING_CENTER:
            response["Location"] += _portal_context(portal)["portal_query"]
        return response


def password_reset_complete_view(request):
    return render(
        request, "contacts/password_reset_complete.html", _portal_context(_portal_of(request))
    )


@login_required
def home(request):
    user = request.user
    if user.is_vendor_staff:
        return redirect("contacts:staff_home")
    page = keyset_page(
        selectors.customer_accounts_for_user(user=user),
        ordering=selectors.ACCOUNT_LIST_ORDER,
        request=request,
    )
    if len(page) == 1 and not page.has_other_pages:
        account = page.rows[0]
        if not account.is_corporate:
            # A self-service account's people land in the Billing Center (its pages show members
            # whom to contact). The URL is named, not imported: contacts sits below it.
            return redirect("billing_center:account", number=account.number)
        return redirect("contacts:account_home", number=account.number)
    return render(request, "contacts/account_list.html", {"accounts": page, "page": page})


@login_required
def account_home(request, number: str):
    account = selectors.account_get_for_user(user=request.user, number=number)
    return account_page(request, account)


def _amount_form(account):
    above = account.second_acceptance_above
    # Shown as the customer reads amounts (2 places), not as stored (4).
    amount = above.quantize(Decimal("0.01")) if above is not None else None
    return SecondAcceptanceAmountForm(initial={"amount": amount})


def account_page(request, account, *, proposal=None, amount_form=None, status: int = 200):
    """The account's page. ``proposal`` is a bound contact-change form to show again with its
    errors (the workflow's propose view answers with this page when a proposal is refused)."""
    perms = permissions.account_permissions(request.user, account)
    people = selectors.account_people(account=account)
    if "view_billing" not in perms:
        primary = next((m for m in people["billing_contacts"] if m.is_primary), None)
        return render(
            request,
            "contacts/contact_billing_admin.html",
            {"account": account, "primary": primary, "form": BillingAdminEmailForm()},
        )
    page = keyset_page(
        selectors.account_contact_changes(account=account),
        ordering=selectors.CONTACT_CHANGE_ORDER,
        request=request,
        param="changes",
        rows=selectors.contact_change_rows,
    )
    for change in page.rows:
        # Their rights are known: asking the status table costs no query per change.
        change.actions = {
            a.value for a in changes.allowed_actions(request.user, change, perms=perms)
        }
    proposals = {}
    if changes.may_propose(perms):
        contacts = people["billing_contacts"]
        proposals = {kind: proposal_form(kind, contacts) for kind in PROPOSAL_FORMS}
        if proposal is not None:
            proposals[proposal.prefix] = proposal
    return render(
        request,
        "contacts/account_home.html",
        {
            "account": account,
            "people": people,
            "perms": perms,
            "changes": page,
            "proposals": proposals,
            "amount_form": amount_form or _amount_form(account),
            "may_invite": services.may_resend_invitations(perms),
        },
        status=status,
    )


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_view(request, uidb64: str, token: str):
    """A new billing contact sets their first password from the invitation link."""
    try:
        user = services.invitation_user(uidb64=uidb64, token=token)
    except services.InvitationInvalid as exc:
        return render(request, "contacts/invitation.html", {"refusal": str(exc)})
    form = SetPasswordForm(user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                uidb64=uidb64,
                token=token,
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except services.InvitationInvalid as exc:
            # Used by a parallel request between the page and this post.
            return render(request, "contacts/invitation.html", {"refusal": str(exc)})
        messages.success(
            request,
            f"Your password is set. Sign in with your User ID {user.username} and your new "
            "password.",
        )
        return redirect(services.invitation_login_url_name(user))
    return render(request, "contacts/invitation.html", {"form": form, "invited": user})


def _member_account_or_404(request, number):
    account = selectors.account_get_for_user(user=request.user, number=number)
    if "view_billing" in permissions.account_permissions(request.user, account):
        # Billing contacts and staff are the billing admins: nothing to e-mail.
        raise Http404("No such page")
    return account


@login_required
@require_POST
def second_acceptance_amount(request, number: str):
    """The representative sets the amount above which quotes need two billing contacts."""
    account = selectors.account_get_for_user(user=request.user, number=number)
    form = SecondAcceptanceAmountForm(request.POST)
    if "draft_quote" not in permissions.account_permissions(request.user, account):
        raise Http404("No such account")
    if not form.is_valid():
        return account_page(request, account, amount_form=form, status=400)
    amount = form.cleaned_data["amount"]
    services.account_set_second_acceptance(
        account=account, actor=request.user, amount=amount, request=request
    )
    if amount is None:
        messages.success(request, "Saved: one billing contact is enough to accept a quote.")
    else:
        messages.success(
            request, "Saved: quotes above that amount need two billing contacts to accept."
        )
        if selectors.billing_contact_count(account=account) < 2:
            messages.warning(
                request,
                "This account has fewer than two billing contacts: a quote above that amount "
                "cannot be accepted until a second billing contact is added.",
            )
    return redirect("contacts:account_home", number=account.number)


@login_required
@require_POST
def invitation_resend(request, number: str, user_id: int):
    """A billing contact or representative sends a contact who has not set a password yet their
    invitation again (the first one expired, or was lost)."""
    account = selectors.account_get_for_user(user=request.user, number=number)
    try:
        invited = services.invitation_resend(
            account=account, user_id=user_id, actor=request.user, request=request
        )
    except PermissionDenied:
        raise Http404("No such billing contact") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"A new invitation was sent to {invited.email}. Its link works once, for "
            f"{services.invitation_valid_hours()} hours.",
        )
    return redirect(f"{reverse('contacts:account_home', args=[account.number])}#contacts-h")


@login_required
@require_http_methods(["GET", "POST"])
def email_billing_admin(request, number: str):
    account = _member_account_or_404(request, number)
    primary = selectors.primary_billing_contact(account=account)
    form = BillingAdminEmailForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.billing_admin_email_send(
                sender=request.user,
                account=account,
                message=form.cleaned_data["message"],
                request=request,
            )
        except services.RateLimited as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            admin_name = primary.user.display_name if primary else "your billing admin"
            messages.success(request, f"Your message was sent to {admin_name}.")
            return redirect("contacts:account_home", number=account.number)
    return render(
        request,
        "contacts/contact_billing_admin.html",
        {"account": account, "primary": primary, "form": form},
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


@login_required
def staff_home(request):
    if not request.user.is_vendor_staff:
        raise Http404("No such page")
    page = selectors.staff_account_page(user=request.user, request=request)
    table = staff_account_table(page)
    return render(request, "contacts/staff_home.html", {"table": table, "page": page})
