import threading
import traceback

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import AuditAction, AuditEvent


def _url(world):
    return reverse("contacts:email_billing_admin", args=[world.a.number])


def test_member_emails_the_primary_billing_contact(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.member_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(world), {"message": "Please add 20 seats & a <toll-free> line."}
        )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [world.contact_a.email]
    assert message.reply_to == [world.member_a.email]
    assert "Please add 20 seats & a <toll-free> line." in message.body
    assert world.a.number in message.subject
    event = AuditEvent.objects.get(action=AuditAction.BILLING_ADMIN_EMAILED)
    assert (event.actor, event.account) == (world.member_a, world.a)
    page = client.get(response["Location"]).content.decode()
    assert f"Your message was sent to {world.contact_a.get_full_name()}." in page


def test_fourth_message_within_an_hour_is_refused(world, login, django_capture_on_commit_callbacks):
    client = login(world.member_a)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            assert client.post(_url(world), {"message": f"note {n}"}).status_code == 302
        refused = client.post(_url(world), {"message": "one more"})
    assert refused.status_code == 400
    assert "already sent 3 messages" in refused.content.decode()
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(action=AuditAction.BILLING_ADMIN_EMAILED).count() == 3


def test_empty_message_is_refused_with_a_field_error(world, login):
    client = login(world.member_a)
    response = client.post(_url(world), {"message": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert mail.outbox == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_messages_at_once_send_no_more_than_the_limit(world):
    # Given a member who has sent nothing yet this hour
    url = _url(world)
    racers = 20
    barrier = threading.Barrier(racers)
    statuses: list[int | str] = [0] * racers

    def post(index):
        try:
            client = Client()
            client.force_login(world.member_a, backend="contacts.backends.LoginIdBackend")
            barrier.wait(timeout=30)
            statuses[index] = client.post(url, {"message": f"note {index}"}).status_code
        except Exception:
            statuses[index] = traceback.format_exc()
        finally:
            connection.close()

    # When 20 "Email the billing admin" posts arrive at the same instant
    threads = [threading.Thread(target=post, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then exactly the limit (3) went out; everybody else was told to wait
    assert sorted(statuses, key=str) == [302] * 3 + [400] * 17, statuses
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(action=AuditAction.BILLING_ADMIN_EMAILED).count() == 3
