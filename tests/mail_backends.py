"""E-mail backends for tests: a mail server that is down."""

from django.core.mail.backends.base import BaseEmailBackend


class DownBackend(BaseEmailBackend):
    """Every send fails as SMTP does when the server refuses the connection."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused (test mail server is down)")
