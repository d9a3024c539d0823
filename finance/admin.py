from django.contrib import admin

from corp_billing.admin import ReadOnlyAdmin

from .models import Export


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
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
