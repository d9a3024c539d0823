"""A list's filter fields (``corp_billing.filters``), as a person and a screen reader meet them:
what they typed kept and escaped, the choice they made selected, each error and help text tied
to its field."""

import re

from corp_billing.filters import filter_fields_html
from quotes.forms import QuoteListFilterForm

STATUSES = [("sent", "Sent"), ("accepted", "Accepted")]
SORTS = [("newest", "Newest first"), ("oldest", "Oldest first")]


def _html(data: dict) -> str:
    form = QuoteListFilterForm(data, statuses=STATUSES, sorts=SORTS)
    form.is_valid()
    return filter_fields_html(form)


def test_what_was_typed_is_kept_as_text_and_the_choices_stay_selected():
    html = _html({"q": '"><script>alert(1)</script>', "status": "accepted", "sort": "oldest"})
    assert "<script>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert '<option value="accepted" selected>Accepted</option>' in html
    assert '<option value="oldest" selected>Oldest first</option>' in html
    assert '<option value="sent">Sent</option>' in html
    assert '<option value="" selected>Any status</option>' not in html


def test_an_empty_filter_selects_any_status_and_keeps_the_input_limits():
    html = _html({})
    assert '<option value="" selected>Any status</option>' in html
    assert re.search(r'<input type="search" name="q" id="id_q"[^>]* maxlength="100">', html)
    assert re.search(
        r'<input type="text" name="account" id="id_account"[^>]* maxlength="20">', html
    )


def test_each_error_and_help_text_is_named_by_its_field():
    html = _html({"account": "OV-12", "status": "nonsense"})
    # Every id a control points at with aria-describedby exists on the page
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert described and all(part in ids for d in described for part in d.split())
    account = re.search(r'<input type="text"[^>]*name="account"[^>]*>', html)
    assert account is not None
    assert 'aria-invalid="true"' in account.group(0)
    assert "id_account_error" in account.group(0) and "id_account_helptext" in account.group(0)
    assert "An account number reads OV-1234567." in html
    # and a field without an error is not marked invalid
    search = re.search(r'<input type="search"[^>]*>', html)
    assert search is not None and "aria-invalid" not in search.group(0)
