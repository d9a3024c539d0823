from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    LOGIN_SUCCEEDED = "login.succeeded", "Login succeeded"
    LOGIN_FAILED = "login.failed", "Login failed"
    LOGIN_LOCKED_OUT = "login.locked_out", "Login locked out"
    LOGOUT = "logout", "Logged out"
    PASSWORD_RESET_REQUESTED = "password_reset.requested", "Password reset requested"
    PASSWORD_RESET_COMPLETED = "password_reset.completed", "Password reset completed"
    PERMISSION_GRANTED = "permission.granted", "Permission granted"
    PERMISSION_REVOKED = "permission.revoked", "Permission revoked"
    BILLING_ADMIN_EMAILED = "billing_admin.emailed", "Billing admin e-mailed"
    QUOTE_CREATED = "quote.created", "Quote created"
    QUOTE_EDITED = "quote.edited", "Quote edited"
    QUOTE_SUBMITTED = "quote.submitted", "Quote submitted"
    QUOTE_APPROVAL_REQUIRED = "quote.approval_required", "Quote needs internal approval"
    QUOTE_APPROVED = "quote.approved", "Quote approved by deal desk"
    QUOTE_SENT_BACK = "quote.sent_back", "Quote sent back by deal desk"
    QUOTE_APPROVAL_VOIDED = "quote.approval_voided", "Approval voided by a material edit"
    QUOTE_APPROVAL_CARRIED = "quote.approval_carried", "Earlier approval carried over"
    QUOTE_FINANCE_APPROVED = "quote.finance_approved", "Quote approved by finance"
    QUOTE_FINANCE_SENT_BACK = "quote.finance_sent_back", "Quote sent back by finance"
    QUOTE_SENT = "quote.sent", "Quote sent to the customer"
    QUOTE_ACCEPTED = "quote.accepted", "Quote accepted"
    QUOTE_FIRST_ACCEPTANCE = (
        "quote.first_acceptance",
        "Accepted by a first billing contact, awaiting a second",
    )
    QUOTE_REJECTED = "quote.rejected", "Quote rejected"
    QUOTE_CHANGES_REQUESTED = "quote.changes_requested", "Changes requested"
    QUOTE_REVISED = "quote.revised", "New revision drafted"
    QUOTE_EXPIRED = "quote.expired", "Quote expired"
    QUOTE_WITHDRAWN = "quote.withdrawn", "Quote withdrawn"
    QUOTE_REMINDER_SENT = "quote.reminder_sent", "Expiry reminder sent"
    ACCOUNT_SECOND_ACCEPTANCE_SET = (
        "account.second_acceptance_set",
        "Amount above which quotes need two billing contacts changed",
    )
    CONTACT_CHANGE_PROPOSED = "contact_change.proposed", "Billing-contact change proposed"
    CONTACT_CHANGE_CONFIRMED = "contact_change.confirmed", "Billing-contact change confirmed"
    CONTACT_CHANGE_DECLINED = "contact_change.declined", "Billing-contact change declined"
    CONTACT_CHANGE_WITHDRAWN = "contact_change.withdrawn", "Billing-contact change withdrawn"
    REAUTHENTICATION_FAILED = "reauthentication.failed", "Password re-entry failed"
    INVITATION_SENT = "invitation.sent", "Invitation to set a password sent"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted: password set"
    PO_CREATED = "po.created", "Purchase order created"
    PO_DOCUMENT_UPLOADED = "po.document_uploaded", "Purchase-order document uploaded"
    PO_CHANGE_PROPOSED = "po_change.proposed", "Purchase-order change proposed"
    PO_CHANGE_APPROVED = "po_change.approved", "Purchase-order change approved and applied"
    PO_CHANGE_REJECTED = "po_change.rejected", "Purchase-order change rejected"
    PO_CHANGE_CONFLICTED = "po_change.conflicted", "Purchase-order change in conflict"
    PO_CHANGE_REBASED = "po_change.rebased", "Purchase-order change re-based"
    PO_CHANGE_WITHDRAWN = "po_change.withdrawn", "Purchase-order change withdrawn"
    PO_CLOSED = "po.closed", "Purchase order closed"
    # The Billing Center.
    PLAN_ADDED = "plan.added", "Plan added"
    PLAN_SEATS_ADDED = "plan.seats_added", "Seats added (prorated charge)"
    PLAN_UPGRADED = "plan.upgraded", "Plan changed to a dearer product (prorated charge)"
    PLAN_CHANGE_SCHEDULED = "plan.change_scheduled", "Plan change scheduled for renewal"
    PLAN_CHANGE_WITHDRAWN = "plan.change_withdrawn", "Scheduled plan change withdrawn"
    PLAN_CANCEL_SCHEDULED = "plan.cancel_scheduled", "Plan set to cancel at end of term"
    PLAN_CANCEL_UNDONE = "plan.cancel_undone", "Plan cancellation undone"
    PLAN_RENEWED = "plan.renewed", "Plan renewed"
    PLAN_ENDED = "plan.ended", "Plan cancelled at end of term"
    INVOICE_PAID = "invoice.paid", "Invoice paid"
    INVOICE_PAYMENT_DECLINED = "invoice.payment_declined", "Invoice payment declined"
    PAYMENT_METHOD_ADDED = "payment_method.added", "Payment method added"
    PAYMENT_METHOD_DEFAULT = "payment_method.default", "Default payment method changed"
    PAYMENT_METHOD_REMOVED = "payment_method.removed", "Payment method removed"
    # Finance: who took which books out of the system, and which file.
    FINANCE_EXPORT_REQUESTED = "finance_export.requested", "Finance export requested"
    FINANCE_EXPORT_DOWNLOADED = "finance_export.downloaded", "Finance export downloaded"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """Append-only record of who did what, on which account, when (UTC) and from where."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The login ID as typed or as it was at the time: survives renames and deletions, and is
    # the only actor we have for failed logins of unknown IDs.
    actor_login = models.CharField(max_length=254, blank=True)
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True, db_index=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["account", "-occurred_at"])]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_login}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")
