"""``{% load times %}``: the one time rule (``corp_billing.times``) for templates.

``{{ revision.sent_at|account_time:account }}``, ``{{ revision.valid_until|end_of_day:account }}``.
"""

from django import template

from corp_billing import times

register = template.Library()

register.filter("account_time", times.account_time)
register.filter("account_date", times.account_date)
register.filter("end_of_day", times.end_of_day)
register.filter("zone_name", times.zone_name)
