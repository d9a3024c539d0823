"""The site a person is in (issue 10): corporate billing contacts sign in to the Corporate Billing
Portal and every corporate e-mail, forgot-password page and sign-out leads back there (to the
page the link pointed at once signed in); staff sign in on a page worded for staff."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from quotes.policy import Action
from tests import factories
from tests import quote_builders as qb
from workflows import services as flow_services

pytestmark = pytest.mark.django_db

SITE = "https://billing.openvoice.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def sign_in(client, path, login_id, next_path=""):
    data = {"username": login_id, "password": factories.PASSWORD}
    if next_path:
        data["next"] = next_path
    return client.post(path, data)


def test_a_corporate_e_mail_leads_through_the_corporate_sign_in_to_its_page(
    world, client, django_capture_on_commit_callbacks
):
    # Given a quote sent to account A's billing contacts
    with django_capture_on_commit_callbacks(execute=True):
        quote = qb.sent_quote(world.a, world.rep_a)
    (sent,) = [m for m in mail.outbox if world.contact_a.email in m.to]
    (link,) = links(sent)
    # Then its link is the Corporate Billing Portal's sign-in, going on to the quote
    page = f"/quotes/{quote.number}/"
    assert link == f"{SITE}/corp-billing/login/?next={page}"
    # When the contact, not signed in, opens it
    url = urlsplit(link)
    login_page = client.get(f"{url.path}?{url.query}")
    html = login_page.content.decode()
    assert "Log in to the Corporate Billing Portal" in html
    assert f'name="next" value="{page}"' in html
    # and signs in there
    response = sign_in(client, url.path, world.contact_a.username, next_path=page)
    # Then they are on the quote's page, in the Corporate Billing Portal
    assert response.status_code == 302 and response["Location"] == page
    quote_page = client.get(page).content.decode()
    assert "OpenVoice Corporate Billing Portal</a>" in quote_page


def test_someone_signed_in_goes_straight_on_from_an_e_mail_link(world, login):
    client = login(world.contact_a)
    response = client.get("/corp-billing/login/", {"next": "/quotes/"})
    assert response.status_code == 302 and response["Location"] == "/quotes/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_a_next_off_the_site_is_ignored(world, client, login, target):
    response = sign_in(client, "/corp-billing/login/", world.contact_a.username, target)
    assert response["Location"] == reverse("contacts:home")
    signed_in = login(world.contact_a).get("/corp-billing/login/", {"next": target})
    assert signed_in.status_code == 200


def test_staff_e_mails_lead_through_the_staff_sign_in(world, django_capture_on_commit_callbacks):
    quote = qb.sent_quote(world.a, world.rep_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        flow_services.quote_decline(
            quote=quote, actor=world.contact_a, action=Action.REJECT, comment="Too dear"
        )
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    page = f"/quotes/{quote.number}/"
    assert links(by_recipient[world.rep_a.email,]) == [f"{SITE}/staff/login/?next={page}"]
    contacts = by_recipient[tuple(sorted([world.contact_a.email, world.contact_a2.email]))]
    assert links(contacts) == [f"{SITE}/corp-billing/login/?next={page}"]


def test_contact_change_mail_gives_each_recipient_their_own_sign_in(
    world, django_capture_on_commit_callbacks
):
    # Given a proposal by a billing contact of A
    with django_capture_on_commit_callbacks(execute=True):
        flow_services.contact_change_propose(
            account=world.a,
            actor=world.contact_a,
            password=factories.PASSWORD,
            kind="make_primary",
            target_id=world.contact_a2.pk,
        )
    page = f"/accounts/{world.a.number}/"
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    contacts = by_recipient[tuple(sorted([world.contact_a.email, world.contact_a2.email]))]
    assert links(contacts) == [f"{SITE}/corp-billing/login/?next={page}#contact-changes"]
    assert links(by_recipient[world.rep_a.email,]) == [
        f"{SITE}/staff/login/?next={page}#contact-changes"
    ]


def test_the_corporate_forgot_password_pages_lead_back_to_the_corporate_sign_in(client):
    login_page = client.get("/corp-billing/login/").content.decode()
    forgot = re.search(r'<a href="([^"]+)">Forgot Password\?</a>', login_page)[1]
    assert forgot == "/password-reset/?portal=corporate"
    reset_page = client.get(forgot).content.decode()
    assert '<a href="/corp-billing/login/">Back to sign in</a>' in reset_page
    # a User ID nobody has gets the same answer as one that exists, and the way back
    done = client.post(forgot, {"username": "nobody.here"})
    assert done["Location"] == "/password-reset/sent/?portal=corporate"
    done_page = client.get(done["Location"]).content.decode()
    assert '<a href="/corp-billing/login/">Back to sign in</a>' in done_page


def test_the_billing_center_forgot_password_page_leads_back_to_its_own_sign_in(client):
    page = client.get("/password-reset/").content.decode()
    assert '<a href="/login/">Back to sign in</a>' in page
    forged = client.get("/password-reset/", {"portal": "<script>"}).content.decode()
    assert '<a href="/login/">Back to sign in</a>' in forged and "<script>" not in forged


def test_staff_sign_in_on_a_page_worded_for_staff(world, client):
    page = client.get("/staff/login/").content.decode()
    assert "<h1>Staff sign-in</h1>" in page
    assert "Login ID" in page and "emailed invoice" not in page.split("<h1>")[1].split("</form>")[0]
    response = sign_in(client, "/staff/login/", world.rep_a.username)
    assert response["Location"] == reverse("contacts:home")
    assert client.get(reverse("contacts:staff_home")).status_code == 200


@pytest.mark.parametrize("role", ["contact_a", "member_a"])
def test_a_customer_cannot_use_the_staff_sign_in_and_is_told_as_for_a_wrong_password(
    world, client, role
):
    user = world.user(role)
    refused = sign_in(client, "/staff/login/", user.username)
    wrong = client.post("/staff/login/", {"username": user.username, "password": "wrong-one"})
    assert refused.status_code == wrong.status_code == 200
    assert "Invalid User ID/password" in refused.content.decode()
    assert refused.content.decode().count("Invalid") == wrong.content.decode().count("Invalid")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("contact_a", "/corp-billing/login/"),
        ("rep_a", "/staff/login/"),
        ("deal_desk", "/staff/login/"),
        ("member_a", "/login/"),
    ],
)
def test_signing_out_leads_back_to_the_person_s_own_sign_in(world, login, role, landing):
    client = login(world.user(role))
    response = client.post(reverse("contacts:logout"))
    assert response["Location"] == landing


def test_after_signing_in_a_corporate_billing_contact_is_in_the_corporate_billing_portal(
    world, client
):
    response = sign_in(client, "/corp-billing/login/", world.contact_a.username)
    home = client.get(response["Location"], follow=True).content.decode()
    assert "OpenVoice Corporate Billing Portal</a>" in home
    assert "<title>" in home and "Corporate Billing Portal</title>" in home
