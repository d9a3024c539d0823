"""Form widgets shared by the apps."""

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString


class LimitedTextarea(forms.Textarea):
    """A text area that shows its limit instead of enforcing it silently.

    A browser's ``maxlength`` cuts pasted text at the limit without a word, so a person can send
    half a message and never know. This widget leaves ``maxlength`` out, says the limit under
    the box (``static/js/limits.js`` counts the characters as the person types and marks an
    overflow), and the form's ``max_length`` refuses a longer text with what was typed kept.
    """

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        limit = widget_attrs.pop("maxlength", None)
        if limit is not None and widget_attrs.get("id"):
            widget_attrs["data-limit"] = limit
            hint = f"{widget_attrs['id']}-limit"
            described = widget_attrs.get("aria-describedby", "")
            widget_attrs["aria-describedby"] = f"{described} {hint}".strip()
        context["limit"] = limit
        return context

    def render(
        self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None
    ) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        limit, element_id = final.get("maxlength"), final.get("id")
        if limit is None or not element_id:
            return html
        return format_html(
            '{}<p class="help limit" id="{}-limit">At most {} characters.</p>',
            html,
            element_id,
            f"{int(limit):,}",
        )
