"""The benchmark's URLs: the product's, plus a bare signed-in page (never in the product) that
renders 50 rows from one query in the portal's layout, the yardstick of ``pages_bench.py``."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from corp_billing.urls import urlpatterns as product_urlpatterns
from quotes.models import Quote

BARE = engines["django"].from_string(
    """{% extends "base.html" %}{% block content %}<h1>Bare page</h1><table>
{% for number, title, created_at in rows %}<tr><td>{{ number }}</td><td>{{ title }}</td>
<td>{{ created_at|date:"Y-m-d H:i" }}</td></tr>{% endfor %}</table>{% endblock %}"""
)


@login_required
def bare(request):
    rows = list(Quote.objects.order_by("-id").values_list("number", "title", "created_at")[:50])
    return HttpResponse(BARE.render({"rows": rows}, request))


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *product_urlpatterns]
