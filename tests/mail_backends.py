"""E-mail backends for tests: a mail server that is down."""

from django.core.mail.backends.base import BaseEmailBackend


class DownBackend(BaseEmailBackend):
    """Every send fails as SMTP does when the server refuses the connection."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused (test mail server is down)")


class SlowFileBackend(BaseEmailBackend):
    """A slow mail server, for killing a job worker mid-send: notes that a send has started,
    waits ``SLOW_MAIL_SECONDS``, then records the delivery, one line per mail, in
    ``SLOW_MAIL_DIR`` (both from the environment of the worker process that loads it)."""

    def send_messages(self, email_messages):
        import os
        import time
        from pathlib import Path

        folder = Path(os.environ["SLOW_MAIL_DIR"])
        with (folder / "started").open("a") as started:
            started.write(f"{os.getpid()}\n")
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "30")))
        with (folder / "delivered").open("a") as delivered:
            for message in email_messages:
                delivered.write(f"{os.getpid()} {message.subject}\n")
        return len(email_messages)
