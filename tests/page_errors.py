"""Reading a refused form back from the page: errors shown at the field they concern."""

import html
import re


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def field_errors(response, name: str) -> list[str]:
    """The messages in the error list of field ``name`` (Django's ``<ul class="errorlist"
    id="<prefix><name>_error">``, written right after the field)."""
    page = response.content.decode()
    found = re.search(
        rf'<ul class="errorlist" id="[^"]*{re.escape(name)}_error">(.*?)</ul>', page, re.S
    )
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", found[1], re.S)] if found else []


def form_refusals(response, *, within: str | None = None) -> list[str]:
    """The refusals shown at the top of a form (``role="alert"``), or only those inside the
    element whose opening tag contains ``within`` (e.g. ``class="po-fields"``)."""
    page = response.content.decode()
    if within is not None:
        found = re.search(rf"<(\w+)[^>]*{re.escape(within)}[^>]*>(.*?)</\1>", page, re.S)
        page = found[2] if found else ""
    return [
        _text(text)
        for text in re.findall(r'<div class="alert error" role="alert">(.*?)</div>', page, re.S)
    ]


def field_value(response, field_id: str) -> str:
    """What a text input or text area with this id holds on the page."""
    page = response.content.decode()
    area = re.search(
        rf'<textarea[^>]* id="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', page, re.S
    )
    if area:
        return html.unescape(area[1]).strip("\n")
    tag = re.search(rf'<input[^>]* id="{re.escape(field_id)}"[^>]*>', page)
    assert tag, field_id
    value = re.search(r'value="([^"]*)"', tag[0])
    return html.unescape(value[1]) if value else ""
