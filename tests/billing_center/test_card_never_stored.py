"""A card number and security code never appear anywhere once entered: not in any text column of
the database, not in the captured log records (nor in the error report an administrator would be
mailed about a crash), not in any e-mail (body or attachment), not in any response body.

The numbers are typed through the payment page: accepted, declined-later, refused by the
processor, failing the Luhn check, and one that crashes the processor mid-request."""

import logging

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.urls import reverse
from django.views.debug import ExceptionReporter

from billing_center import processor, services
from billing_center.models import PaymentMethod

from .builders import add_plan

ACCEPTED = "4111111111111111"
DECLINES = "4000000000000002"
REFUSED = "4000000000000127"
NOT_LUHN = "4111111111111112"
CRASHES = "5105105105105100"
AMEX = "371449635398431"
CVC = "987"
AMEX_CVC = "6543"
NUMBERS = (ACCEPTED, DECLINES, REFUSED, NOT_LUHN, CRASHES, AMEX)


def _typed_forms(number: str) -> list[str]:
    """The number as stored digits and as typed in groups of four."""
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return [number, grouped]


def _secrets() -> list[str]:
    return [form for n in NUMBERS for form in _typed_forms(n)]


def _text_columns(model) -> list[str]:
    kinds = (models.CharField, models.TextField, models.JSONField, models.BinaryField)
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, kinds)]


def _database_hits() -> list[str]:
    hits = []
    for model in apps.get_models():
        columns = _text_columns(model)
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns):
            for column, value in zip(columns, row, strict=True):
                text = (
                    bytes(value).decode("latin-1") if isinstance(value, memoryview) else str(value)
                )
                hits += [f"{model._meta.label}.{column}" for secret in _secrets() if secret in text]
    return hits


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def captured_logs():
    handler = _Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(previous)


def _card(number, cvc=CVC):
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return {
        "holder_name": "Olivia Nguyen",
        "number": grouped,
        "exp_month": "11",
        "exp_year": "2031",
        "cvc": cvc,
    }


def test_a_card_number_never_appears_anywhere(
    ss, client, captured_logs, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(ss.contact, backend="contacts.backends.LoginIdBackend")
    url = reverse("billing_center:payment", kwargs={"number": ss.account.number})
    bodies = []

    def post(data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data, follow=True)
        bodies.append(response.content)
        return response

    # When cards are entered: accepted, declining later, refused, mistyped, American Express
    assert post(_card(DECLINES)).redirect_chain
    assert post(_card(ACCEPTED)).redirect_chain
    assert post(_card(REFUSED)).status_code == 400
    assert post(_card(NOT_LUHN)).status_code == 400
    assert post(_card(AMEX, AMEX_CVC)).redirect_chain
    assert post(_card(AMEX, CVC)).status_code == 400  # a 3-digit code for a 4-digit brand
    # And one crashes the processor mid-request (a 500)
    original = processor.LocalProcessor.tokenize

    def crash(self, card):
        if card.number == CRASHES:
            raise RuntimeError("processor unavailable")
        return original(self, card)

    monkeypatch.setattr(processor.LocalProcessor, "tokenize", crash)
    client.raise_request_exception = False
    response = client.post(url, _card(CRASHES))
    assert response.status_code == 500
    bodies.append(response.content)
    # And the cards are used: a plan is bought and renewed (invoices and their mails)
    with django_capture_on_commit_callbacks(execute=True):
        sub = add_plan(ss.account, ss.contact)
        services.subscription_renew(subscription=sub, today=sub.period_end)
    for name in ("account", "payment", "invoices"):
        page = client.get(reverse(f"billing_center:{name}", kwargs={"number": ss.account.number}))
        bodies.append(page.content)
    assert PaymentMethod.objects.count() == 3

    # Then no text column of any table holds a number
    assert _database_hits() == []
    # Nor does any response
    for body in bodies:
        text = body.decode("utf-8", "replace")
        assert [s for s in _secrets() if s in text] == []
        assert f'value="{CVC}"' not in text and f'value="{AMEX_CVC}"' not in text
    # Nor any e-mail, body or attachment
    assert mail.outbox
    for message in mail.outbox:
        parts = [message.subject, message.body] + [
            bytes(content).decode("latin-1") for _, content, _ in message.attachments
        ]
        assert [s for s in _secrets() for p in parts if s in p] == []
    # Nor any log record, nor the error report an administrator would be mailed for the 500
    assert captured_logs
    reports = []
    for record in captured_logs:
        text = record.getMessage() + repr(record.args)
        assert [s for s in _secrets() if s in text] == []
        request = getattr(record, "request", None)
        if record.exc_info and request is not None:
            reporter = ExceptionReporter(request, *record.exc_info, is_email=True)
            reports += [reporter.get_traceback_text(), reporter.get_traceback_html()]
    assert reports, "the crash was logged with its request"
    for report in reports:
        assert [s for s in _secrets() if s in report] == []
        assert f"'{CVC}'" not in report
        # (the report does show the posted form, with the two fields blanked out)
        assert "Olivia Nguyen" in report and "********************" in report
