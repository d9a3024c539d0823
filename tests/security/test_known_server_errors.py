"""Inputs that made the site answer 500 (issue 7 item 11), one test each, so that each is seen
failing until fixed and stays fixed. The property tests in test_no_server_errors.py look for
more; these pin the ones found.

Each sends what a person could send from the page, and expects an answer, never a 5xx.
"""

import datetime
import logging

import pytest
from django.urls import reverse

from tests import quote_builders as qb
from tests.factories import PASSWORD, staff

from . import fuzz
from .routes import edit_form, new_quote_form


@pytest.fixture(autouse=True)
def _quiet_request_log():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def signed_in(user):
    client = fuzz.Client(raise_request_exception=False)
    client.force_login(user, backend=fuzz.BACKEND)
    return client


@pytest.mark.parametrize("frequency", ["weekly", "ANNUALLY", "annually\x00", "x" * 300])
def test_a_billing_frequency_outside_the_choices_is_a_form_error(frequency, world):
    # Given a draft and its representative, whose line has no unit price (the list price)
    quote = qb.draft_quote(world.a, world.rep_a)
    client = signed_in(world.rep_a)
    data = {**edit_form(world), "billing_frequency": frequency, "lines-0-unit_price": ""}
    # When they send the edit form with a billing frequency that is not one of the choices
    response = fuzz.send(client, "POST", reverse("quotes:edit", args=[quote.number]), data)
    # Then the form says what is wrong, and the draft is unchanged
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    quote.current_revision.refresh_from_db()
    assert quote.current_revision.billing_frequency == "annually"


@pytest.mark.parametrize("valid_until", ["9999-12-31", "9999-12-30"])
def test_a_quote_valid_until_the_last_day_of_year_9999_opens(valid_until, world):
    # Given a representative who sets a draft's validity to the end of the calendar
    quote = qb.draft_quote(world.a, world.rep_a)
    client = signed_in(world.rep_a)
    data = {**edit_form(world), "valid_until": valid_until}
    # When they save it and land on the quote's page
    response = fuzz.send(client, "POST", reverse("quotes:edit", args=[quote.number]), data)
    # Then they get an answer: the date refused on the form, or the quote's page
    assert response.status_code in (200, 400)


def test_a_new_quote_valid_until_9999_12_31_opens(world):
    # Given a representative creating a quote valid until the end of the calendar
    client = signed_in(world.rep_a)
    data = {**new_quote_form(world), "valid_until": "9999-12-31"}
    url = reverse("quotes:create", args=[world.a.number])
    # When they create it and follow on to its pages
    response = fuzz.send(client, "POST", url, data)
    assert response.status_code in (200, 400)
    if response.status_code == 200 and response.redirect_chain:
        number = response.redirect_chain[-1][0].split("/")[2]
        # Then its page opens too
        fuzz.send(client, "GET", reverse("quotes:detail", args=[number]))


def test_submitting_a_draft_valid_until_9999_12_31_is_not_a_server_error(world):
    # Given a draft valid until the last day of the calendar (however it got that date)
    quote = qb.draft_quote(world.a, world.rep_a, valid_until=datetime.date(9999, 12, 31))
    client = signed_in(world.rep_a)
    # When the representative submits it
    url = reverse("workflows:quote_submit", args=[quote.number])
    response = fuzz.send(client, "POST", url, follow=False)
    # Then they get an answer: sent on, or told why not
    assert response.status_code in (302, 400, 409)


@pytest.mark.parametrize("length", [255, 256, 1000])
def test_a_long_user_name_on_the_admin_login_is_refused_not_a_server_error(length, world):
    # Given the admin's sign-in form
    client = fuzz.Client(raise_request_exception=False)
    # When somebody sends a user name longer than any login ID
    data = {"username": "x" * length, "password": "wrong", "next": "/admin/"}
    response = fuzz.send(client, "POST", reverse("admin:login"), data)
    # Then the sign-in is refused with the form again
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("field", ["account", "user"])
def test_garbage_in_an_autocomplete_field_of_the_admin_is_a_form_error(field, world):
    # Given an administrator on the admin's "add membership" form
    admin = staff("administrator", is_staff=True, is_superuser=True, username="admin.root")
    client = fuzz.Client(raise_request_exception=False)
    client.post(reverse("admin:login"), {"username": admin.username, "password": PASSWORD})
    # When the account or person is not an id (a NUL here)
    data = {"account": str(world.a.pk), "user": str(world.contact_a.pk), "role": "member"}
    data[field] = "\x00"
    response = fuzz.send(client, "POST", reverse("admin:contacts_membership_add"), data)
    # Then the form is shown again with an error
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
