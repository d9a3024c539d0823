from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .currencies import CURRENCY_CHOICES
from .validators import (
    LOGIN_ID_HELP,
    normalise_login_id,
    validate_account_number,
    validate_login_id,
    validate_time_zone,
)


class StaffRole(models.TextChoices):
    REPRESENTATIVE = "representative", "Representative"
    DEAL_DESK = "deal_desk", "Deal desk"
    FINANCE = "finance", "Finance"
    ADMINISTRATOR = "administrator", "Administrator"


class LoginIdUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.by_login_id(username).get()

    def by_login_id(self, login_id: str):
        """The user whose login ID is ``login_id`` however it was typed: an exact match on the
        stored normal form (never ``iexact``, whose folding differs per database)."""
        return self.filter(username=normalise_login_id(login_id))


class User(AbstractUser):
    """A person who signs in. ``username`` is the login ID (the billing User ID for contacts);
    ``email`` is where mail goes and may differ from it."""

    username = models.CharField(
        "User ID",
        max_length=150,
        unique=True,
        validators=[validate_login_id],
        help_text=LOGIN_ID_HELP,
        error_messages={"unique": "A user with that User ID already exists."},
    )
    email = models.EmailField("e-mail address", blank=True)
    staff_role = models.CharField(
        max_length=20,
        choices=StaffRole.choices,
        blank=True,
        help_text="Vendor staff only. Customers have no staff role.",
    )

    # Part of the session hash: bumping it ends every session of this user at their next
    # request (removed contact, reset password) without scanning the session table.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # Bumped by every grant and revocation (``contacts.permissions``, in the same transaction):
    # part of the key under which the person's account ids per right are cached, so a cached
    # set is never read after their grants changed.
    grants_version = models.PositiveIntegerField(default=0, editable=False)

    objects = LoginIdUserManager()  # type: ignore[misc]  # django-stubs declares it a ClassVar

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_login_id_ci_unique"),
        ]

    @classmethod
    def normalize_username(cls, username):
        # Django's forms and manager call this; ours folds case and look-alikes too.
        return normalise_login_id(username) if isinstance(username, str) else username

    def save(self, *args, **kwargs):
        # Every path that stores a user stores the normal form, so lookups can be exact.
        self.username = self.normalize_username(self.username)
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret=None):
        key_salt = "contacts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_vendor_staff(self) -> bool:
        return bool(self.staff_role)


class AccountKind(models.TextChoices):
    CORPORATE = "corporate", "Corporate"
    SELF_SERVICE = "self_service", "Self-service"


class Account(models.Model):
    """The tenant. Per-account rights are object permissions on this model (guardian resolves a
    permission on the model of the object it is checked against)."""

    number = models.CharField(
        max_length=10, unique=True, validators=[validate_account_number], help_text="OV-1002345"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    billing_address = models.TextField(blank=True)
    po_required = models.BooleanField(
        "PO required to accept a quote",
        default=False,
    )
    # Above this total (in the account's currency) a quote needs two different billing contacts
    # to accept it; empty: one is enough.
    second_acceptance_above = models.DecimalField(
        "second billing contact needed above",
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="A quote whose total is above this amount needs two different billing contacts "
        "to accept it. Leave empty for one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_billing", "View billing information"),
            ("manage_billing", "Manage Billing Center plans, payment methods and frequency"),
            ("approve_quote", "Accept, reject or request changes on quotes"),
            ("propose_po_change", "Propose purchase-order changes"),
            ("manage_billing_contacts", "Propose billing-contact changes"),
            ("draft_quote", "Draft and send quotes"),
            ("review_po_change", "Review purchase-order changes"),
            ("review_contact_change", "Confirm billing-contact changes"),
            ("approve_deal", "Approve quotes that cross an approval rule"),
            ("approve_finance", "Approve quotes that cross a finance-tier approval rule"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def is_corporate(self) -> bool:
        return self.kind == AccountKind.CORPORATE


class MembershipRole(models.TextChoices):
    BILLING_CONTACT = "billing_contact", "Billing contact"
    MEMBER = "member", "Member"
    REPRESENTATIVE = "representative", "Representative"


class Membership(models.Model):
    """A person's role on an account. The source of truth for who is on the account; the guardian
    grants that enforce it are derived from it by ``contacts.permissions``."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MembershipRole.choices)
    is_primary = models.BooleanField("primary billing contact", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "-is_primary", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="membership_once_per_account"),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_primary=True),
                name="membership_one_primary_per_account",
            ),
            models.CheckConstraint(
                condition=models.Q(is_primary=False) | models.Q(role="billing_contact"),
                name="membership_primary_is_billing_contact",
            ),
        ]

    def __str__(self):
        return f"{self.user.username} — {self.get_role_display()} of {self.account.number}"


class ContactChangeKind(models.TextChoices):
    ADD = "add", "Add a billing contact"
    REMOVE = "remove", "Remove a billing contact"
    MAKE_PRIMARY = "make_primary", "Make primary"


class ContactChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the representative"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ContactChange(models.Model):
    """A billing contact's proposal to add, remove or make primary a billing contact of their
    account. It grants nothing while pending: the representative's confirmation applies it.
    What may happen to it next is declared in ``contacts.changes``."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contact_changes")
    kind = models.CharField(max_length=20, choices=ContactChangeKind.choices)
    status = models.CharField(
        max_length=20, choices=ContactChangeStatus.choices, default=ContactChangeStatus.PENDING
    )
    # The contact removed or made primary; for an addition, the user created on confirmation.
    target = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # An addition's new contact, as proposed (the user exists only once it is confirmed).
    new_first_name = models.CharField("first name", max_length=150, blank=True)
    new_last_name = models.CharField("last name", max_length=150, blank=True)
    new_email = models.EmailField("e-mail address", blank=True)
    new_login_id = models.CharField("billing User ID", max_length=150, blank=True)
    proposer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    # Who confirmed or declined it (the representative) or withdrew it (a billing contact).
    decider = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(
                fields=["account", "-proposed_at", "-id"], name="contactchange_by_account"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject} ({self.account.number})"

    @property
    def subject(self) -> str:
        """Who the change is about, as the pages and mail name them."""
        if self.target is not None:
            return f"{self.target.display_name} ({self.target.username})"
        name = f"{self.new_first_name} {self.new_last_name}".strip()
        return f"{name} ({self.new_login_id})"


# --- per-account object permissions in direct foreign-key tables ------------------------------
# guardian's public API uses these tables for Account by itself, because they point at Account
# with a real foreign key: scoped queries join on integer keys PostgreSQL can index, instead of
# casting every account id to text against the generic tables' object_pk. Grants are written by
# ``contacts.permissions`` only (and once by the data migration that moved the old rows).


class AccountUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class AccountGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [
            models.Index(
                fields=["content_object", "permission", "group"], name="acct_groupperm_by_account"
            )
        ]
