"""Response headers: a Content-Security-Policy that allows only our own files (no inline script),
and ``Cache-Control: private, no-store`` on whatever a signed-in person is shown, documents
included, so neither a shared cache nor the browser's keeps account data."""

from django.test import Client
from django.urls import reverse

from tests.quote_builders import sent_quote

NO_STORE = "private, no-store"


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


OUR_OWN_FILES_ONLY = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def test_the_login_page_carries_a_content_security_policy_without_inline_script(db, client):
    # when anybody opens the corporate sign-in page
    response = client.get(reverse("contacts:corporate_login"))

    # then only the site's own scripts, styles and images may load, nothing inline, no framing
    assert response.status_code == 200
    assert policy(response) == OUR_OWN_FILES_ONLY
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_a_signed_in_page_is_neither_cached_nor_stored(world, login):
    # given a billing contact signed in
    client = login(world.contact_a)

    # when they open their account page and the quote list
    pages = [
        client.get(reverse("contacts:account_home", args=[world.a.number])),
        client.get(reverse("quotes:list")),
    ]

    # then no cache may keep them, and the policy applies
    for page in pages:
        assert page.status_code == 200
        assert page["Cache-Control"] == NO_STORE
        assert policy(page) == OUR_OWN_FILES_ONLY
    # while the stylesheet keeps its own caching, for them as for anybody
    for stylesheet in (client.get("/static/css/app.css"), Client().get("/static/css/app.css")):
        assert stylesheet.status_code == 200
        assert "no-store" not in stylesheet.get("Cache-Control", "")


def test_a_quote_pdf_is_neither_cached_nor_stored(world, login):
    # given a quote sent to account A
    quote = sent_quote(world.a, world.rep_a)

    # when its billing contact downloads the PDF
    response = login(world.contact_a).get(reverse("quotes:pdf", args=[quote.number, 1]))

    # then the document may not be kept by any cache
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == NO_STORE
