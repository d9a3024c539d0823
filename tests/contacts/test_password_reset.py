import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from audit.models import AuditAction, AuditEvent
from contacts import mail as outgoing
from tests import factories
from tests.contacts.mailbackends import HeldUntilReleased

RESET = reverse("contacts:password_reset")
NEW_PW = "Lavender-Orbit-2031"


@pytest.fixture(autouse=True)
def _send_mail_on_commit(django_capture_on_commit_callbacks):
    # Mail leaves on commit; the test transaction never commits, so run the callbacks.
    global _on_commit
    _on_commit = django_capture_on_commit_callbacks
    yield


def _reset(client, login_id, **extra):
    """POSTs a reset request, runs what it left for after the commit and waits for the mail."""
    with _on_commit(execute=True):
        response = client.post(RESET, {"username": login_id}, **extra)
    outgoing.wait_for_background_mail()
    return response


def _request_link(client, login_id, **extra) -> str:
    response = _reset(client, login_id, **extra)
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:password_reset_done")
    (message,) = mail.outbox
    return re.search(r"https://\S+", message.body).group(0)


def _path(link: str) -> str:
    return link.removeprefix("https://billing.openvoice.example")


def test_reset_mail_goes_to_the_contacts_email_with_a_site_url_link(world, client):
    # When a reset is requested through another (allowed) host name
    link = _request_link(client, "AP@alpha.example", HTTP_HOST="localhost")
    # Then the mail goes to the contact's e-mail address, with a link on the configured site
    assert mail.outbox[0].to == [world.contact_a.email]
    assert link.startswith("https://billing.openvoice.example/password-reset/")
    assert "localhost" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(
        action=AuditAction.PASSWORD_RESET_REQUESTED, actor=world.contact_a
    ).exists()


def test_unknown_id_gets_the_same_answer_and_no_mail(world, client):
    known = _reset(client, world.contact_a.username)
    unknown = _reset(Client(), "nobody.at.all")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1  # only the known one


def test_link_sets_a_new_password_once_and_ends_other_sessions(world, client):
    # Given the contact is signed in elsewhere
    elsewhere = Client()
    elsewhere.force_login(world.contact_a, backend="contacts.backends.LoginIdBackend")
    account_home = reverse("contacts:account_home", args=[world.a.number])
    assert elsewhere.get(account_home).status_code == 200
    link = _request_link(client, world.contact_a.username)
    # When they follow the link and set a new password
    form_page = client.get(_path(link), follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PW, "new_password2": NEW_PW})
    # Then it is set, the new password signs in, and the other session is over
    assert done.status_code == 302
    # (to the page offering the sign-in of the contact's own site, the Corporate Billing Portal)
    assert done["Location"] == reverse("contacts:password_reset_complete") + "?portal=corporate"
    world.contact_a.refresh_from_db()
    assert world.contact_a.check_password(NEW_PW)
    assert elsewhere.get(account_home).status_code == 302
    fresh = Client()
    signed_in = fresh.post(
        reverse("contacts:corporate_login"),
        {"username": world.contact_a.username, "password": NEW_PW},
    )
    assert signed_in.status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.PASSWORD_RESET_COMPLETED, actor=world.contact_a
    ).exists()
    # And the link does not work a second time
    again = Client().get(_path(link), follow=True)
    assert again.context["validlink"] is False


def test_link_expires_after_one_hour(world, client):
    start = timezone.now()
    with freeze_time(start) as frozen:
        link = _request_link(client, world.contact_a.username)
        frozen.tick(timedelta(minutes=59))
        assert Client().get(_path(link), follow=True).context["validlink"] is True
        frozen.tick(timedelta(minutes=2))
        assert Client().get(_path(link), follow=True).context["validlink"] is False


def test_link_dies_after_a_password_change(world, client):
    link = _request_link(client, world.contact_a.username)
    world.contact_a.set_password("Another-Secret-99")
    world.contact_a.save()
    assert client.get(_path(link), follow=True).context["validlink"] is False


def test_password_validators_apply(world, client):
    link = _request_link(client, world.contact_a.username)
    set_url = client.get(_path(link), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    world.contact_a.refresh_from_db()
    assert world.contact_a.check_password(factories.PASSWORD)


def test_known_and_unknown_ids_do_the_same_work(world):
    # When a reset is requested for an existing and for an unknown User ID
    known = _reset(Client(), world.contact_a.username)
    unknown = _reset(Client(), "nobody.at.all")
    # Then both answers are the same redirect, after the same work (the reset mail is prepared
    # for both; only the known one is sent)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert "contacts/email/password_reset.txt" in [t.name for t in unknown.templates]
    assert [m.to for m in mail.outbox] == [[world.contact_a.email]]


def test_reset_mail_leaves_after_the_response(world, settings):
    # Given a mail server that takes its time
    settings.EMAIL_BACKEND = "tests.contacts.mailbackends.HeldUntilReleased"
    HeldUntilReleased.release.clear()
    HeldUntilReleased.responded.clear()
    HeldUntilReleased.sent_after_response.clear()
    # When a known User ID asks for a reset
    with _on_commit(execute=True):
        response = Client().post(RESET, {"username": world.contact_a.username})
    HeldUntilReleased.responded.set()
    HeldUntilReleased.release.set()
    outgoing.wait_for_background_mail()
    # Then the person had their page before the mail server was spoken to, and the mail went
    assert response.status_code == 302
    assert HeldUntilReleased.sent_after_response == [True]
    assert [m.to for m in mail.outbox] == [[world.contact_a.email]]


def test_mail_server_down_known_id_still_gets_the_same_page(world, settings, caplog):
    # Given the mail server refuses connections
    settings.EMAIL_BACKEND = "tests.contacts.mailbackends.MailServerDown"
    # When a known and an unknown User ID ask for a reset
    with caplog.at_level(logging.ERROR, logger="contacts.mail"):
        known = _reset(Client(), world.contact_a.username)
    unknown = _reset(Client(), "nobody.at.all")
    # Then both see the same "check your e-mail" page, and the failure is logged for operators
    assert (known.status_code, known["Location"]) == (302, reverse("contacts:password_reset_done"))
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert "Could not send the password-reset mail" in caplog.text
    assert world.contact_a.email not in caplog.text


@pytest.mark.parametrize("login_id", ["alpha.controller", "nobody.at.all"])
def test_reset_requests_are_throttled_per_id(login_id, world, settings):
    # Given the limit is 5 requests per User ID an hour, asked from five addresses
    settings.PASSWORD_RESET_LIMIT_PER_ID = 5
    for n in range(5):
        assert _reset(Client(), login_id, REMOTE_ADDR=f"192.0.2.{n}").status_code == 302
    sent = len(mail.outbox)
    # When a sixth request for that ID arrives, however it is typed, from yet another address
    refused = _reset(Client(), login_id.upper(), REMOTE_ADDR="192.0.2.99")
    # Then it is refused with a clear message (the same for known and unknown IDs), no mail
    # leaves, and another ID can still ask
    assert refused.status_code == 429
    assert "Too many password-reset requests" in refused.content.decode()
    assert len(mail.outbox) == sent
    assert _reset(Client(), "ap@alpha.example", REMOTE_ADDR="192.0.2.99").status_code == 302


def test_reset_requests_are_throttled_per_address(world, settings):
    # Given the limit is 20 requests an hour from one address
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 20
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(19):
        assert _reset(client, f"guess{n}.user").status_code == 302
    assert _reset(client, world.contact_a2.username).status_code == 302
    # When the 21st request comes from that address, for a real ID
    refused = _reset(client, world.contact_a.username)
    # Then it is refused and no mail goes to that contact; another address still may ask
    assert refused.status_code == 429
    assert [m.to for m in mail.outbox] == [[world.contact_a2.email]]
    other = _reset(Client(REMOTE_ADDR="198.51.100.8"), world.contact_a.username)
    assert other.status_code == 302
    assert [m.to for m in mail.outbox][-1] == [world.contact_a.email]


def test_completing_a_reset_lifts_the_lockout(world, client):
    # Given alpha.controller is locked out from 10.0.0.1 after five wrong passwords
    login = reverse("contacts:corporate_login")
    for _ in range(5):
        client.post(
            login,
            {"username": "alpha.controller", "password": "wrong-password-1"},
            REMOTE_ADDR="10.0.0.1",
        )
    assert (
        Client()
        .post(
            login,
            {"username": "alpha.controller", "password": factories.PASSWORD},
            REMOTE_ADDR="10.0.0.1",
        )
        .status_code
        == 429
    )
    # When they reset their password through the mailed link
    link = _request_link(Client(), "alpha.controller")
    resetter = Client()
    set_url = resetter.get(_path(link), follow=True).redirect_chain[-1][0]
    done = resetter.post(set_url, {"new_password1": NEW_PW, "new_password2": NEW_PW})
    assert done.status_code == 302
    # Then the new password signs in from that same address at once
    signed_in = Client()
    response = signed_in.post(
        login, {"username": "alpha.controller", "password": NEW_PW}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302
    assert int(signed_in.session[SESSION_KEY]) == world.contact_a2.pk
