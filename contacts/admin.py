from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from . import services
from .forms import AdminLoginForm
from .models import Account, Membership, User

admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "staff_role", "is_active")
    list_filter = ("staff_role", "is_active", "is_staff")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Vendor staff", {"fields": ("staff_role",)}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "staff_role", "password1", "password2"),
            },
        ),
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    fields = ("user", "role", "is_primary")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        # Added through MembershipAdmin so the per-account grants follow.
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "kind", "currency", "time_zone", "po_required")
    list_filter = ("kind", "currency")
    search_fields = ("number", "name")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Billing contacts, members and representatives. Adding and removing go through the
    services, which grant and revoke the per-account permissions and write the audit trail."""

    list_display = ("account", "user", "role", "is_primary")
    list_filter = ("role",)
    search_fields = ("account__number", "account__name", "user__username", "user__email")
    list_select_related = ("account", "user")
    autocomplete_fields = ("account", "user")
    actions = None

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        services.membership_add(
            account=obj.account,
            user=obj.user,
            role=obj.role,
            is_primary=obj.is_primary,
            actor=request.user,
            request=request,
        )

    def delete_model(self, request, obj):
        try:
            services.membership_remove(membership=obj, actor=request.user, request=request)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
