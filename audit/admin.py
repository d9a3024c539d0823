from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "action", "actor_login", "account", "ip_address", "message")
    list_filter = ("action",)
    search_fields = ("actor_login", "account__number", "object_id", "message")
    date_hierarchy = "occurred_at"
    list_select_related = ("account",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
