from django import template
from django.utils.html import format_html

from corp_billing.filters import filter_fields_html
from corp_billing.tables import Table

register = template.Library()


@register.simple_tag
def render_table(table: Table):
    """The whole ``<table>`` of a ``corp_billing.tables.Table``."""
    return format_html(
        "<table>\n  <thead><tr>{}</tr></thead>\n  <tbody>\n{}  </tbody>\n</table>",
        table.header_html(),
        table.rows_html(),
    )


@register.simple_tag
def filter_fields(form):
    """The fields of a list's filter form (``corp_billing.filters``)."""
    return filter_fields_html(form)
