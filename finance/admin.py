from django.contrib import admin

from .models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """Read-only: an administrator sees which exports failed and why. Exports are written by
    their job and deleted by the sweep, never edited here (the file is downloaded only by the
    person who asked for it, from the export's page)."""

    list_display = (
        "created_at",
        "requested_by",
        "description",
        "status",
        "attempts",
        "size",
        "finished_at",
        "expires_at",
        "error",
    )
    list_filter = ("status",)
    list_select_related = ("requested_by",)
    search_fields = ("description", "error", "requested_by__username")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
