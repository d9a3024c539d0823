"""Mail backends that misbehave, for the password-reset tests."""

import smtplib
import threading

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class MailServerDown(LocmemBackend):
    """The SMTP server refuses every connection."""

    def send_messages(self, messages):
        raise smtplib.SMTPConnectError(421, "mail.example: service not available")


class HeldUntilReleased(LocmemBackend):
    """Holds each send until the test releases it, and notes whether the response had already
    reached the test by then (a mail sent inside the request would wait here in vain)."""

    release = threading.Event()
    responded = threading.Event()
    sent_after_response: list[bool] = []

    def send_messages(self, messages):
        type(self).release.wait(timeout=3)
        type(self).sent_after_response.append(type(self).responded.is_set())
        return super().send_messages(messages)
