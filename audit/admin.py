from django.contrib import admin

from corp_billing.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "action", "actor_login", "account", "ip_address", "message")
    list_filter = ("action",)
    search_fields = ("actor_login", "account__number", "object_id", "message")
    date_hierarchy = "occurred_at"
    list_select_related = ("account",)
