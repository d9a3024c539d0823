from django.contrib import admin

from corp_billing.admin import ReadOnlyAdmin

from .models import (
    Acceptance,
    ApprovalRule,
    Price,
    Product,
    Quote,
    QuoteLine,
    QuoteRevision,
    RuleCheck,
)


class PriceInline(admin.TabularInline):
    model = Price
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "unit", "is_counted", "is_active")
    list_filter = ("is_active", "is_counted")
    search_fields = ("sku", "name")
    inlines = [PriceInline]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "threshold", "tier", "is_active")
    list_editable = ("threshold", "tier", "is_active")


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    fields = ("position", "sku", "name", "quantity", "unit_price", "discount_percent", "net_amount")
    readonly_fields = fields


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ("number", "account", "title", "created_by", "created_at")
    search_fields = ("number", "account__number", "account__name", "title")
    list_select_related = ("account", "created_by")


class RuleCheckInline(admin.TabularInline):
    """The rules frozen at submission, and who approved each (or whose approval carried)."""

    model = RuleCheck
    extra = 0
    can_delete = False
    fields = (
        "rule_name",
        "tier",
        "threshold",
        "measured",
        "approved_value",
        "approved_by",
        "carried_from",
        "carry_reason",
    )
    readonly_fields = fields


@admin.register(QuoteRevision)
class QuoteRevisionAdmin(ReadOnlyAdmin):
    list_display = ("quote", "number", "status", "total", "currency", "valid_until")
    list_filter = ("status",)
    search_fields = ("quote__number",)
    inlines = [QuoteLineInline, RuleCheckInline]


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("revision", "accepted_by", "accepted_at", "po_number", "pdf_sha256")
