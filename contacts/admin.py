"""The admin edits people, accounts and memberships, never rights directly: groups and
permissions are derived from memberships by ``contacts.permissions``, and every membership change
made here goes through ``contacts.services`` so the grants and the audit trail follow."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import QueryDict

from corp_billing.admin import ReadOnlyAdmin

from . import services
from .forms import AdminLoginForm
from .models import Account, ContactChange, Membership, User

admin.site.login_form = AdminLoginForm

# Per-account groups (account:<pk>:<role>) hold the customers' guardian grants; editing one here
# would grant or revoke rights behind contacts.permissions' back, unaudited.
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "staff_role", "is_active")
    list_filter = ("staff_role", "is_active", "is_staff")
    # No groups or user_permissions: rights come from memberships (customers) and staff roles.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
        ("Vendor staff", {"fields": ("staff_role",)}),
    )
    filter_horizontal = ()
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
    list_display = (
        "number",
        "name",
        "kind",
        "currency",
        "time_zone",
        "po_required",
        "second_acceptance_above",
    )
    list_filter = ("kind", "currency")
    search_fields = ("number", "name")
    inlines = [MembershipInline]


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("account", "user", "role", "is_primary")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The admin's autocomplete widget looks the posted keys up to redraw the form, and a key
        # that is not a number (a NUL byte, say) raises there instead of becoming a form error:
        # such a key is dropped before the form is drawn, and reported as the choice it is not.
        self.not_keys: list[str] = []
        if self.is_bound:
            data = QueryDict(mutable=True)
            data.update(self.data)
            for name in ("account", "user"):
                if name in data and not str(data[name]).isdigit():
                    data[name] = ""
                    self.not_keys.append(name)
            self.data = data

    def clean(self) -> dict[str, Any]:
        super().clean()
        for name in self.not_keys:
            self.errors.pop(name, None)
            self.add_error(name, self.fields[name].error_messages["invalid_choice"])
        cleaned = self.cleaned_data
        if self.instance.pk is not None and "role" in cleaned:
            # Before the form touches the instance: it still holds the stored role.
            try:
                services.membership_role_change_validate(
                    membership=self.instance, role=cleaned["role"]
                )
            except ValidationError as exc:
                self.add_error("role", exc)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Billing contacts, members and representatives. Adding, changing the role and removing go
    through the services, which grant and revoke the per-account permissions and write the audit
    trail. Who is primary changes through the billing-contact change, not here."""

    form = MembershipAdminForm
    list_display = ("account", "user", "role", "is_primary")
    list_filter = ("role",)
    search_fields = ("account__number", "account__name", "user__username", "user__email")
    list_select_related = ("account", "user")
    autocomplete_fields = ("account", "user")
    actions = None

    def get_readonly_fields(self, request, obj=None):
        # Another person or account is another membership: remove this one and add that one.
        return ("account", "user", "is_primary") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.membership_role_change(
                membership=obj, role=obj.role, actor=request.user, request=request
            )
        else:
            saved = services.membership_add(
                account=obj.account,
                user=obj.user,
                role=obj.role,
                is_primary=obj.is_primary,
                actor=request.user,
                request=request,
            )
        # The admin goes on with the object it passed in (log entry, message, redirect): give it
        # the saved row's identity, or it sends the administrator to "Membership None".
        obj.pk, obj.created_at = saved.pk, saved.created_at

    def delete_model(self, request, obj):
        try:
            services.membership_remove(membership=obj, actor=request.user, request=request)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ContactChange)
class ContactChangeAdmin(ReadOnlyAdmin):
    """Billing-contact changes, read-only: they are proposed and decided in the portal, where
    the workflow, the rights and the audit trail apply."""

    list_display = ("account", "kind", "subject", "status", "proposer", "proposed_at", "decider")
    list_filter = ("status", "kind")
    search_fields = ("account__number", "account__name", "new_login_id", "target__username")
    list_select_related = ("account", "proposer", "decider", "target")
    actions = None
