"""The production smoke test, run by deploy/ci-smoke.sh against a running `serve-prod` shape.

Over HTTP, as a browser behind the TLS proxy would (``X-Forwarded-Proto: https``, the site's
Host, cookies kept by hand because they are Secure): a billing contact signs in on the Corporate
Billing Portal, opens a quote sent to them, downloads its PDF and accepts it. Then the
confirmation mail must arrive, sent by the job worker (the web processes only enqueue it), the
acceptance must keep the very file downloaded, the worker must make the stamped copy whose hash
the quote page then prints, and the web process's JSON log must carry the accept request's id.
The quote is prepared with the project's own services (as the demo does): the test is about the
shape, not about building a quote through forms.

Usage: smoke.py BASE_URL HOST MAIL_DIR WEB_LOG   (with the production profile's environment)
"""

import hashlib
import http.client
import json
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import django

PASSWORD = "openvoice-demo-2026"  # README's demo logins
CONTACT = "billing@globex.example"
ACCOUNT = "OV-1002346"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    def __init__(self, base: str, host: str):
        parts = urlsplit(base)
        self.address = (parts.hostname, parts.port or 80)
        self.host = host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        response, raw = self.fetch(method, path, form)
        return response, raw.decode("utf-8", "replace")

    def fetch(self, method: str, path: str, form: dict | None = None):
        """The response and its body as bytes (a download)."""
        connection = http.client.HTTPConnection(*self.address, timeout=30)
        headers = {"Host": self.host, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{self.host}"
            headers["Referer"] = f"https://{self.host}{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response, content

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict):
        return self.request("POST", path, form)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"SMOKE FAILED: {what}")
    print(f"ok  {what}")


def csrf(page: str) -> str:
    found = CSRF_FIELD.search(page)
    expect(found is not None, "the page has a CSRF token")
    assert found is not None
    return found[1]


def prepare_sent_quote() -> str:
    """A quote sent by Globex's representative to its billing contacts (committed; its "ready
    for your review" mail is enqueued for the worker like any other)."""
    from contacts.models import Account
    from workflows import demo

    account = Account.objects.get(number=ACCOUNT)
    _contact, _other, rep = demo._people(account)
    quote = demo._sent_quote(account, rep, "Smoke test: seats for the Berlin office", 7)
    return quote.number


def mail_with(folder: Path, text: str) -> bool:
    return any(text in path.read_text(errors="replace") for path in folder.glob("*"))


def main(base: str, host: str, mail_dir: str, web_log: str) -> None:
    django.setup()
    from django_celery_results.models import TaskResult

    from outbox.models import MailStatus, OutgoingMail
    from quotes.models import Acceptance, Quote

    folder = Path(mail_dir)
    browser = Browser(base, host)

    response, body = browser.get("/healthz")
    expect(response.status == 200 and json.loads(body)["status"] == "ok", f"/healthz: {body}")

    number = prepare_sent_quote()
    print(f"    prepared quote {number}")

    response, page = browser.get("/corp-billing/login/")
    expect(response.status == 200, "the Corporate Billing Portal's sign-in page is served")
    response, page = browser.post(
        "/corp-billing/login/",
        {"csrfmiddlewaretoken": csrf(page), "username": CONTACT, "password": PASSWORD},
    )
    expect(response.status == 302 and "sessionid" in browser.cookies, f"{CONTACT} signs in")

    response, page = browser.get(f"/quotes/{number}/")
    expect(response.status == 200 and number in page, f"the contact opens quote {number}")
    expect(f'action="/quotes/{number}/decide/"' in page, "the quote offers its decision form")

    pdf_url = (
        f"/quotes/{number}/rev/{Quote.objects.get(number=number).current_revision.number}/pdf/"
    )
    response, as_sent = browser.fetch("GET", pdf_url)
    expect(response.status == 200 and as_sent.startswith(b"%PDF"), "the contact downloads its PDF")

    response, page = browser.post(
        f"/quotes/{number}/decide/", {"csrfmiddlewaretoken": csrf(page), "decision": "accept"}
    )
    request_id = response.getheader("X-Request-ID") or ""
    expect(response.status == 302, f"accepting answers 302 (got {response.status})")
    revision = Quote.objects.get(number=number).current_revision
    assert revision is not None
    expect(revision.status == "accepted", "the quote is accepted in the database")

    subject = f"Quote {number} rev {revision.number}: accepted by"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not mail_with(folder, subject):
        time.sleep(0.5)
    expect(mail_with(folder, subject), f"the confirmation mail arrived ({subject} …)")
    confirmation = OutgoingMail.objects.get(subject__contains=subject)
    expect(
        confirmation.status == MailStatus.SENT and confirmation.attempts == 1,
        "its outbox row is sent, on the first attempt",
    )
    # The worker stores the arguments' repr, JSON-encoded: '"(42,)"'.
    job = next(
        (
            result
            for result in TaskResult.objects.filter(task_name="outbox.send_mail")
            if re.findall(r"\d+", result.task_args or "") == [str(confirmation.pk)]
        ),
        None,
    )
    expect(job is not None and job.status == "SUCCESS", "the job worker sent it (task result)")

    acceptance = Acceptance.objects.get(revision=revision)
    expect(bytes(acceptance.pdf) == as_sent, "the acceptance keeps the very file downloaded")
    # The worker stores the job's result after the job committed the copy: wait for the result.
    stamp_jobs = TaskResult.objects.filter(task_name="quotes.stamp_acceptance", status="SUCCESS")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not stamp_jobs.exists():
        time.sleep(0.5)
    expect(stamp_jobs.exists(), "the stamped copy's job succeeded on the worker (task result)")
    acceptance.refresh_from_db()
    expect(bool(acceptance.stamped_pdf_sha256), "the job worker made the stamped copy")
    response, page = browser.get(f"/quotes/{number}/")
    expect(acceptance.stamped_pdf_sha256 in page, "the quote page prints the stamped copy's hash")
    response, stamped = browser.fetch("GET", pdf_url)
    expect(
        hashlib.sha256(stamped).hexdigest() == acceptance.stamped_pdf_sha256,
        "the stamped download is the file whose hash the page prints",
    )

    lines = []
    for line in Path(web_log).read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    accepted = [
        entry
        for entry in lines
        if entry.get("request_id") == request_id and entry.get("logger") == "corp_billing.access"
    ]
    expect(
        len(accepted) == 1 and accepted[0]["path"] == f"/quotes/{number}/decide/",
        f"the JSON access log has the accept request, id {request_id}",
    )
    pids = {entry["process"] for entry in lines if entry.get("logger") == "corp_billing.access"}
    print(f"    {len(lines)} JSON log lines; requests served by {len(pids)} web worker(s)")
    print("SMOKE PASSED")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corp_billing.settings")
    main(*sys.argv[1:5])
