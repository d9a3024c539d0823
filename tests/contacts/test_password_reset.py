import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from audit.models import AuditAction, AuditEvent
from tests import factories

RESET = reverse("contacts:password_reset")
NEW_PW = "Lavender-Orbit-2031"


@pytest.fixture(autouse=True)
def _send_mail_on_commit(django_capture_on_commit_callbacks):
    # Mail leaves on commit; the test transaction never commits, so run the callbacks.
    global _on_commit
    _on_commit = django_capture_on_commit_callbacks
    yield


def _request_link(client, login_id, **extra) -> str:
    with _on_commit(execute=True):
        response = client.post(RESET, {"username": login_id}, **extra)
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
    with _on_commit(execute=True):
        known = client.post(RESET, {"username": world.contact_a.username})
        unknown = Client().post(RESET, {"username": "nobody.at.all"})
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
    assert done["Location"] == reverse("contacts:password_reset_complete")
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
