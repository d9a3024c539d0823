"""A picture of everything a request could change, to prove a denied request changed nothing."""

from django.apps import apps
from django.contrib.auth.models import Group

PROJECT_APPS = (
    "contacts",
    "audit",
    "quotes",
    "purchase_orders",
    "billing_center",
    "finance",
    "workflows",
    "guardian",
)


def db_snapshot() -> dict:
    snap = {}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS or model._meta.label in (
            "viewflow.Process",
            "viewflow.Task",
        ):
            rows = model._default_manager.order_by("pk").values()
            snap[model._meta.label] = [tuple(sorted(r.items())) for r in rows]
    snap["auth.Group.user_set"] = sorted(
        Group.user_set.through.objects.values_list("pk", "user_id", "group_id")
    )
    return snap
