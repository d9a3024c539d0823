"""Every answer carries an ``X-Request-ID`` and every log line of the request carries the same
id, in the production profile's JSON lines; a proxy's id is kept, anything else is replaced."""

import copy
import io
import json
import logging
import logging.config
import re

import pytest
from django.conf import settings

from corp_billing.logging import RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The production profile's JSON formatter and request-id filter on the access logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    config = copy.deepcopy(settings.LOGGING)  # the configurator consumes what it reads
    configurator = logging.config.DictConfigurator(config)
    handler.setFormatter(configurator.configure_formatter(config["formatters"]["json"]))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("corp_billing.access")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_each_request_gets_an_id_in_the_answer_and_its_json_log_line(client, json_log):
    first = client.get("/corp-billing/login/")
    second = client.get("/corp-billing/login/")
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids)
    assert ids[0] != ids[1]
    lines = json_log()
    assert [line["request_id"] for line in lines] == ids
    assert lines[0]["path"] == "/corp-billing/login/"
    assert lines[0]["status"] == 200 and lines[0]["method"] == "GET"
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "corp_billing.access"
    assert isinstance(lines[0]["duration_ms"], float)


def test_a_proxys_request_id_is_kept(client, json_log):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"
    assert json_log()[0]["request_id"] == "lb-7f3a9c21-0001"


@pytest.mark.parametrize("forged", ["short", "x" * 65, "evil\nFAKE LOG LINE", "a b c d e f g h"])
def test_an_id_that_is_not_an_id_is_replaced(client, forged):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=forged)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_the_id_is_on_error_answers_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
