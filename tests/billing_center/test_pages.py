"""The Billing Center's pages: routing between the two sites, each page saying which site it is,
the sign-in pages' explanation, previews confirmed through the views, the card form's checks and
members' "Contact your billing admin" page for every URL."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from freezegun import freeze_time

from audit.models import AuditEvent
from billing_center import services
from billing_center.models import Invoice, InvoiceKind, PaymentMethod, Subscription
from billing_center.pricing import local_today
from tests import factories

from .builders import add_card, add_plan, plan_product

PW = factories.PASSWORD


def _login(client, user):
    client.force_login(user, backend="contacts.backends.LoginIdBackend")
    return client


def _url(name, account, **kwargs):
    return reverse(f"billing_center:{name}", kwargs={"number": account.number, **kwargs})


def test_a_self_service_contact_lands_in_the_billing_center(ss, client):
    # When the self-service contact signs in at the Billing Center's sign-in page
    response = client.post(
        reverse("contacts:login"), {"username": ss.contact.username, "password": PW}, follow=True
    )
    # Then they land on their account's Billing Center page, which says which site it is
    assert response.redirect_chain[-1][0] == _url("account", ss.account)
    html = response.content.decode()
    assert "OpenVoice Billing Center" in html and "Corporate Billing Portal" not in html
    assert "Subscription plans" in html


def test_a_corporate_contact_lands_in_the_corporate_portal(world, client):
    response = client.post(
        reverse("contacts:corporate_login"),
        {"username": world.contact_a.username, "password": PW},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("contacts:account_home", args=[world.a.number])
    html = response.content.decode()
    assert "OpenVoice Corporate Billing Portal" in html
    # And the Billing Center has no page for a corporate account
    assert _login(client, world.contact_a).get(_url("account", world.a)).status_code == 404


def test_the_billing_center_menu_offers_no_corporate_portal_features(ss, world, client):
    # When the self-service contact opens the Billing Center
    html = _login(client, ss.contact).get(_url("account", ss.account)).content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    # Then its menu holds the Billing Center, not quotes, purchase orders or a task inbox
    assert "Billing Center" in nav
    for corporate in ("Quotes", "Purchase orders", "My tasks"):
        assert corporate not in nav, corporate
    # While a corporate billing contact's menu has them
    html = _login(client, world.contact_a).get(reverse("contacts:home"), follow=True)
    nav = html.content.decode()
    nav = nav[nav.index("<nav") : nav.index("</nav>")]
    assert all(item in nav for item in ("Quotes", "Purchase orders", "My tasks"))


@pytest.mark.parametrize("name", ["contacts:login", "contacts:corporate_login"])
def test_both_sign_in_pages_explain_the_two_sites(client, db, name):
    html = client.get(reverse(name)).content.decode()
    for sentence in (
        "Some billing contacts log in to the <strong>Billing Center</strong>",
        "called the <strong>Corporate Billing Portal</strong>",
        "Add and manage subscription plans, change billing frequency, view and print the billing",
        "change billing contacts, edit\n    purchase orders, and manage price quotes",
        "located on an emailed invoice",
        "Contact your billing admin (name, email address)",
    ):
        assert sentence in html, sentence


@freeze_time("2026-03-25 18:00:00+00:00")  # 25 March in Chicago
def test_adding_seats_previews_then_charges_exactly_the_preview(ss, client):
    # Given 5 seats bought on 10 March
    add_card(ss.account, ss.contact)
    with freeze_time("2026-03-10 18:00:00+00:00"):
        sub = add_plan(ss.account, ss.contact, quantity=5)
    _login(client, ss.contact)
    url = _url("plan_seats", ss.account, plan=sub.pk)
    # When they ask for 8 seats
    preview = client.post(url, {"quantity": "8"})
    html = preview.content.decode()
    # Then the page shows the prorated charge and that it applies now, and nothing changed yet
    assert preview.status_code == 200
    assert "30.97 USD" in html and "16 of 31 days" in html and "Now, on 25 March 2026" in html
    assert "160.00 USD monthly" in html
    assert Subscription.objects.get().quantity == 5
    # When they confirm what they saw
    confirm = {"quantity": "8", "charge_now": "30.97", "effective_on": "2026-03-25", "confirm": "1"}
    done = client.post(url, confirm)
    # Then exactly that was charged, on its own invoice
    assert done.status_code == 302
    invoice = Invoice.objects.get(kind=InvoiceKind.PRORATION)
    assert invoice.total == Decimal("30.97")
    assert Subscription.objects.get().quantity == 8


@freeze_time("2026-03-25 18:00:00+00:00")
def test_a_confirmation_with_other_figures_changes_nothing(ss, client):
    add_card(ss.account, ss.contact)
    with freeze_time("2026-03-10 18:00:00+00:00"):
        sub = add_plan(ss.account, ss.contact, quantity=5)
    url = _url("plan_seats", ss.account, plan=sub.pk)
    forged = {"quantity": "8", "charge_now": "0.01", "effective_on": "2026-03-25", "confirm": "1"}
    response = _login(client, ss.contact).post(url, forged)
    assert response.status_code == 200
    assert "no longer the one you confirmed" in response.content.decode()
    assert Subscription.objects.get().quantity == 5
    assert not Invoice.objects.filter(kind=InvoiceKind.PRORATION).exists()


@freeze_time("2026-03-25 18:00:00+00:00")
def test_frequency_change_shows_the_new_price_and_date_first(ss, client):
    add_card(ss.account, ss.contact)
    with freeze_time("2026-03-10 18:00:00+00:00"):
        sub = add_plan(ss.account, ss.contact, quantity=5)
    url = _url("plan_frequency", ss.account, plan=sub.pk)
    _login(client, ss.contact)
    html = client.post(url, {"billing_frequency": "annually"}).content.decode()
    assert "1,000.00 USD annually" in html and "At the next renewal, on 10 April 2026" in html
    client.post(
        url,
        {
            "billing_frequency": "annually",
            "period_price_after": "1000.00",
            "effective_on": "2026-04-10",
            "confirm": "1",
        },
    )
    sub.refresh_from_db()
    assert (sub.billing_frequency, sub.pending_billing_frequency) == ("monthly", "annually")
    page = client.get(_url("account", ss.account)).content.decode()
    assert "Pending from 2026-04-10" in page and "Withdraw pending change" in page


def test_adding_a_plan_from_the_price_book(ss, client):
    add_card(ss.account, ss.contact)
    product = plan_product()
    _login(client, ss.contact)
    url = _url("plan_add", ss.account)
    assert product.name in client.get(url).content.decode()
    form = {"product": str(product.pk), "billing_frequency": "annually", "quantity": "3"}
    html = client.post(url, form).content.decode()
    assert "600.00 USD" in html
    day = local_today(ss.account)
    client.post(
        url, {**form, "charge_now": "600.00", "effective_on": day.isoformat(), "confirm": "1"}
    )
    sub = Subscription.objects.get()
    assert (sub.quantity, sub.billing_frequency, sub.unit_price) == (3, "annually", 200)
    assert Invoice.objects.get().total == 600


CARD = {
    "holder_name": "Olivia Nguyen",
    "number": "4242 4242 4242 4242",
    "exp_month": "12",
    "exp_year": "2099",
    "cvc": "123",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"number": "4242 4242 4242 4241"}, "number", "This card number is not valid"),
        ({"number": "4242"}, "number", "12 to 19 digits"),
        ({"number": "４２４２４２４２４２４２４２４２"}, "number", "12 to 19 digits"),
        ({"exp_month": "1", "exp_year": "2020"}, "exp_month", "This card has expired"),
        ({"cvc": "12"}, "cvc", "3- or 4-digit"),
        ({"cvc": "1234"}, "cvc", "Enter the 3-digit security code"),
        ({"cvc": "abc"}, "cvc", "3- or 4-digit"),
    ],
)
def test_the_card_form_checks_number_expiry_and_code(ss, client, change, field, message):
    response = _login(client, ss.contact).post(_url("payment", ss.account), {**CARD, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_a_valid_card_keeps_brand_last_four_expiry_and_token_only(ss, client):
    response = _login(client, ss.contact).post(_url("payment", ss.account), CARD)
    assert response.status_code == 302
    method = PaymentMethod.objects.get()
    assert (method.brand, method.last4, method.expiry, method.is_default) == (
        "Visa",
        "4242",
        "12/2099",
        True,
    )
    assert method.processor_token.startswith("tok_local_")
    assert "4242424242424242" not in method.processor_token


BILLING_CENTER_URLS = [
    ("GET", "account", {}),
    ("GET", "plan_add", {}),
    ("POST", "plan_add", {}),
    ("GET", "plan_seats", {"plan": None}),
    ("POST", "plan_seats", {"plan": None}),
    ("GET", "plan_frequency", {"plan": None}),
    ("GET", "plan_change", {"plan": None}),
    ("POST", "plan_change", {"plan": None}),
    ("POST", "plan_cancel", {"plan": None}),
    ("POST", "plan_undo_cancel", {"plan": None}),
    ("POST", "plan_withdraw_change", {"plan": None}),
    ("GET", "invoices", {}),
    ("GET", "invoice", {"invoice": None}),
    ("GET", "invoice_pdf", {"invoice": None}),
    ("POST", "invoice_pay", {"invoice": None}),
    ("GET", "payment", {}),
    ("POST", "payment", {}),
    ("POST", "payment_default", {"method": None}),
    ("POST", "payment_remove", {"method": None}),
]


def test_a_member_gets_contact_your_billing_admin_for_every_url(ss, client):
    # Given a plan, an invoice and a card on the account
    card = add_card(ss.account, ss.contact)
    sub = add_plan(ss.account, ss.contact)
    invoice = Invoice.objects.get()
    values = {"plan": sub.pk, "invoice": invoice.number, "method": card.pk}
    before = (
        list(Subscription.objects.values()),
        list(PaymentMethod.objects.values()),
        AuditEvent.objects.count(),
    )
    _login(client, ss.member)
    for method, name, kwargs in BILLING_CENTER_URLS:
        url = _url(name, ss.account, **{k: values[k] for k in kwargs})
        data = {**CARD, "quantity": "1"} if method == "POST" else None
        response = client.post(url, data) if method == "POST" else client.get(url)
        html = response.content.decode()
        # Then every one answers with the seed's message and the e-mail action
        assert response.status_code == 200, (method, name)
        assert (
            f"Contact your billing admin (Olivia Nguyen, {ss.contact.email}) to make product "
            "or licensing changes to your account." in html
        ), name
        assert "Email the billing admin" in html
        assert invoice.number not in html and "4242" not in html
    # And nothing changed
    after = (
        list(Subscription.objects.values()),
        list(PaymentMethod.objects.values()),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_a_member_emails_the_billing_admin_from_the_billing_center(
    ss, client, django_capture_on_commit_callbacks
):
    _login(client, ss.member)
    page = client.get(_url("invoices", ss.account)).content.decode()
    action = reverse("contacts:email_billing_admin", args=[ss.account.number])
    assert f'action="{action}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action, {"message": "Please add 3 seats."})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [ss.contact.email] and "Please add 3 seats." in message.body


def test_representatives_read_but_do_not_change(ss, client):
    add_card(ss.account, ss.contact)
    sub = add_plan(ss.account, ss.contact)
    _login(client, ss.rep)
    assert client.get(_url("account", ss.account)).status_code == 200
    page = client.get(_url("account", ss.account)).content.decode()
    assert "Cancel at end of term" not in page and "Add a plan" not in page
    assert client.post(_url("plan_cancel", ss.account, plan=sub.pk)).status_code == 404
    assert client.get(_url("plan_seats", ss.account, plan=sub.pk)).status_code == 404
    assert client.post(_url("payment", ss.account), CARD).status_code == 404
    assert PaymentMethod.objects.count() == 1


def test_another_accounts_plan_is_the_same_404_as_a_missing_one(ss, client):
    add_card(ss.other, ss.other_contact)
    theirs = add_plan(ss.other, ss.other_contact)
    _login(client, ss.contact)
    other = client.get(_url("plan_seats", ss.account, plan=theirs.pk))
    missing = client.get(_url("plan_seats", ss.account, plan=999_999))
    assert other.status_code == missing.status_code == 404
    assert other.content.replace(f"/plans/{theirs.pk}/".encode(), b"X") == (
        missing.content.replace(b"/plans/999999/", b"X")
    )


def test_invoice_page_and_history_show_the_renewals(ss, client):
    add_card(ss.account, ss.contact)
    sub = add_plan(ss.account, ss.contact, quantity=2)
    services.subscription_renew(subscription=sub, today=sub.period_end)
    _login(client, ss.contact)
    history = client.get(_url("invoices", ss.account)).content.decode()
    numbers = list(Invoice.objects.order_by("-issued_on", "-id").values_list("number", flat=True))
    assert [history.index(n) for n in numbers] == sorted(history.index(n) for n in numbers)
    assert "Renewal" in history and "New plan" in history and "Print / PDF" in history
    page = client.get(_url("invoice", ss.account, invoice=numbers[0])).content.decode()
    assert "owner@initech.example" in page and "40.00 USD" in page
    pdf = client.get(_url("invoice_pdf", ss.account, invoice=numbers[0]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert date.today() <= sub.period_end


@freeze_time("2026-03-25 18:00:00+00:00")
def test_a_dearer_plan_previews_then_charges_the_prorated_difference(ss, client):
    add_card(ss.account, ss.contact)
    with freeze_time("2026-03-10 18:00:00+00:00"):
        sub = add_plan(ss.account, ss.contact, quantity=5)
    pro = plan_product(sku="OV-BC-PRO", name="OpenVoice Pro", USD_monthly="32.00")
    url = _url("plan_change", ss.account, plan=sub.pk)
    _login(client, ss.contact)
    assert "OpenVoice Pro" in client.get(url).content.decode()
    # 5 seats × (32.00 − 20.00) × 16 / 31 = 30.967… → 30.97
    html = client.post(url, {"product": str(pro.pk)}).content.decode()
    assert "30.97 USD" in html and "160.00 USD monthly" in html
    confirm = {
        "product": str(pro.pk),
        "charge_now": "30.97",
        "effective_on": "2026-03-25",
        "confirm": "1",
    }
    assert client.post(url, confirm).status_code == 302
    sub.refresh_from_db()
    assert (sub.product, sub.unit_price) == (pro, 32)
    assert Invoice.objects.get(kind=InvoiceKind.PRORATION).total == Decimal("30.97")


@freeze_time("2026-03-25 18:00:00+00:00")
def test_one_seat_reads_one_seat_and_an_added_one_too(ss, client):
    # Given a plan of one seat
    add_card(ss.account, ss.contact)
    with freeze_time("2026-03-10 18:00:00+00:00"):
        sub = add_plan(ss.account, ss.contact, quantity=1)
    _login(client, ss.contact)
    url = _url("plan_seats", ss.account, plan=sub.pk)
    # Then its page counts it in the singular
    html = client.get(url).content.decode()
    assert "Now 1 seat at" in html and "1 seats" not in html
    # and asking for the same one seat is refused in the singular too
    same = client.post(url, {"quantity": "1"}).content.decode()
    assert "The plan already has 1 seat; nothing to change." in same
    assert Subscription.objects.get(pk=sub.pk).quantity == 1
