from django.contrib import admin

from corp_billing.admin import ReadOnlyAdmin

from .models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    """Read-only: an administrator sees what left, what failed and why. Mail is retried by
    ``manage.py send_queued_mail``, never edited here."""

    list_display = (
        "created_at",
        "subject",
        "recipients",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status",)
    search_fields = ("subject", "to", "last_error")
    date_hierarchy = "created_at"

    @admin.display(description="to")
    def recipients(self, obj):
        return ", ".join(obj.to)
