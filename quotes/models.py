from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contacts.models import Account

from .money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS


def money_field(
    *,
    default: Any = models.NOT_PROVIDED,
    null: bool = False,
    blank: bool = False,
    validators: tuple[Any, ...] | list[Any] = (),
) -> models.DecimalField:
    """An amount: 12 integer digits and 4 decimal places, quantized by ``money.round_money``."""
    return models.DecimalField(
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        default=default,
        null=null,
        blank=blank,
        validators=list(validators),
    )


class BillingFrequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    ANNUALLY = "annually", "Annually"
    ONE_TIME = "one_time", "One-time"


class Product(models.Model):
    """An entry of the price book. Inactive products cannot be quoted."""

    sku = models.CharField("SKU", max_length=40, unique=True)
    name = models.CharField(max_length=200)
    # What one unit is, without a period: the quote's billing frequency says "/ month" or
    # "/ year" (see ``periods.line_unit``), so an annual price never reads "seat / month".
    unit = models.CharField(max_length=40, help_text="e.g. seat, bundle of 10,000 min, package")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    is_counted = models.BooleanField(
        "counted in whole units",
        default=True,
        help_text="Seats, integrations, bundles: a quantity must be a whole number.",
    )

    class Meta:
        ordering = ["sku"]

    def __str__(self):
        return f"{self.sku} — {self.name}"


class Price(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    billing_frequency = models.CharField(max_length=10, choices=BillingFrequency.choices)
    list_price = money_field(validators=[MinValueValidator(Decimal(0))])

    class Meta:
        ordering = ["product__sku", "currency", "billing_frequency"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "currency", "billing_frequency"], name="price_once"
            )
        ]

    def __str__(self):
        return f"{self.product.sku} {self.list_price} {self.currency} {self.billing_frequency}"


class RuleKind(models.TextChoices):
    LINE_DISCOUNT = "line_discount", "Any line discount over (%)"
    QUOTE_DISCOUNT = "quote_discount", "Whole-quote discount over (%)"
    TOTAL_AMOUNT = "total_amount", "Total over (in the account's currency)"


class ApprovalTier(models.TextChoices):
    """Who approves when a rule fires. Tiers approve in this order."""

    DEAL_DESK = "deal_desk", "Deal desk"
    FINANCE = "finance", "Finance"


class ApprovalRule(models.Model):
    """Crossing an active rule sends a quote to its tier (deal desk, then finance) before the
    customer sees it."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    threshold = money_field(validators=[MinValueValidator(Decimal(0))])
    tier = models.CharField(
        "who approves", max_length=20, choices=ApprovalTier.choices, default=ApprovalTier.DEAL_DESK
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "threshold"]

    def __str__(self):
        return self.name


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending internal approval"
    PENDING_FINANCE = "pending_finance", "Pending finance approval"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    AWAITING_SECOND = "awaiting_second", "Accepted once, awaiting a second billing contact"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded"


# Statuses in which the customer has seen the revision: it is frozen.
FROZEN_STATUSES = {
    RevisionStatus.SENT,
    RevisionStatus.AWAITING_SECOND,
    RevisionStatus.ACCEPTED,
    RevisionStatus.REJECTED,
    RevisionStatus.CHANGES_REQUESTED,
    RevisionStatus.EXPIRED,
    RevisionStatus.WITHDRAWN,
    RevisionStatus.SUPERSEDED,
}
CUSTOMER_VISIBLE_STATUSES = FROZEN_STATUSES


class Quote(models.Model):
    """A quote keeps its number for life; its content lives in revisions."""

    number = models.CharField(max_length=20, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="quotes")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # One per create form: a double-posted form finds the quote the first post made.
    idempotency_key = models.UUIDField(unique=True)
    current_revision = models.ForeignKey(
        "QuoteRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        # The quote list's order (newest first), for everybody and within accounts.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="quote_list_order"),
            models.Index(fields=["account", "-created_at", "-id"], name="quote_list_by_account"),
        ]

    def __str__(self):
        return self.number


class QuoteRevision(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    # What this revision offers, as its documents print it; ``Quote.title`` follows the current
    # revision's (the list shows and searches it), while a superseded revision keeps its own.
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=RevisionStatus.choices, default=RevisionStatus.DRAFT
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    term_months = models.PositiveIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    billing_frequency = models.CharField(
        max_length=10, choices=BillingFrequency.choices, default=BillingFrequency.ANNUALLY
    )
    valid_until = models.DateField()
    terms = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    subtotal = money_field(default=Decimal(0))
    discount_total = money_field(default=Decimal(0))
    total = money_field(default=Decimal(0))

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The last internal approval of this revision (deal desk or finance); what each tier
    # approved, rule by rule, is in ``rule_checks``.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    # The representative who handed it on: the customer's sender, even when deal desk approved.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_pdf_sha256 = models.CharField(max_length=64, blank=True)

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    reminded_7d_at = models.DateTimeField(null=True, blank=True)
    reminded_1d_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["quote", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="revision_number_once"),
        ]
        # The quote list's status filter: the matching revisions, then their quotes.
        indexes = [models.Index(fields=["status"], name="revision_by_status")]

    def __str__(self):
        return f"{self.quote.number} rev {self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES


class SentPdf(models.Model):
    """The revision's PDF as it was sent, rendered once when it was sent: a sent revision is
    frozen, so this is the file its billing contacts download, read and accept, and accepting
    copies these bytes and their hash instead of rendering again.

    A row of its own rather than a field of ``QuoteRevision``: Django reads a binary field with
    its row, and revisions are read by every list, inbox and quote page. Revisions sent before
    the PDF was kept (and the scale seed's copies) get theirs the first time it is asked for
    (``services.revision_sent_pdf``); ``created_at`` then says so, being later than
    ``QuoteRevision.sent_at``."""

    revision = models.OneToOneField(
        QuoteRevision, on_delete=models.CASCADE, primary_key=True, related_name="sent_pdf"
    )
    pdf = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sent PDF"

    def __str__(self):
        return f"{self.revision_id}: {self.sha256}"


class RuleCheck(models.Model):
    """One approval rule that fired on a revision, frozen when the revision was submitted: who
    must approve it (its tier then), the threshold then and the value measured (the largest, for
    a per-line rule). Editing or deleting the rule afterwards changes none of this.

    ``approved_value`` is what an approver accepted for the rule: the measured value when it was
    approved on this revision, or an earlier revision's approved value that still covers it
    (``carried_from``), in which case nobody is asked again."""

    revision = models.ForeignKey(
        QuoteRevision, on_delete=models.CASCADE, related_name="rule_checks"
    )
    rule = models.ForeignKey(
        ApprovalRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    tier = models.CharField(max_length=20, choices=ApprovalTier.choices)
    threshold = money_field()
    measured = money_field()
    explanation = models.TextField()
    approved_value = money_field(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    carried_from = models.PositiveIntegerField(
        "approval carried over from revision", null=True, blank=True
    )
    carry_reason = models.CharField(max_length=300, blank=True)
    # ``rules.deal_terms_fingerprint`` of the revision the approval was given on: it carries over
    # only to a revision with the same term, frequency, validity and terms text.
    approved_terms = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["revision", "id"]

    def __str__(self):
        return f"{self.revision}: {self.rule_name}"

    @property
    def needs_approval(self) -> bool:
        return self.approved_at is None

    @property
    def is_carried_over(self) -> bool:
        return self.carried_from is not None


class QuoteLine(models.Model):
    revision = models.ForeignKey(QuoteRevision, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    # Snapshot of the price book at quoting time: a later price-book edit must not change a
    # quote the customer has seen.
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40)
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit_price = money_field()
    # The price book's price when the line was written: a unit price below it is a discount too.
    list_price = money_field(null=True, blank=True)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    gross_amount = money_field()
    discount_amount = money_field()
    net_amount = money_field()

    class Meta:
        ordering = ["revision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "position"], name="line_position_once"),
        ]

    def __str__(self):
        return f"{self.revision} line {self.position} {self.sku}"


class Acceptance(models.Model):
    """Who accepted which revision, when, from where, and the SHA-256 of the exact PDF."""

    revision = models.OneToOneField(
        QuoteRevision, on_delete=models.PROTECT, related_name="acceptance"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64)
    # The exact bytes accepted, served as "PDF as accepted": re-rendering from live data would
    # drift as soon as an address or name changes.
    pdf = models.BinaryField(editable=False, default=b"")
    # The stamped copy, rendered once after the final acceptance by a job (``quotes.jobs``), or
    # by the first download if that comes first: its bytes, hence its hash, never change once
    # kept, so the quote page can print the hash of each of the two files a person may have
    # downloaded. Empty until then; the page says it is being prepared.
    stamped_pdf = models.BinaryField(editable=False, default=b"")
    stamped_pdf_sha256 = models.CharField(max_length=64, blank=True)
    # The number as printed on the acceptance PDF; the ledger entry it drew on is below.
    po_number = models.CharField("purchase order number", max_length=60, blank=True)
    purchase_order = models.ForeignKey(
        "purchase_orders.PurchaseOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="acceptances",
    )

    # Above the account's two-signature amount, a second, different billing contact confirms
    # the same document (same SHA-256); until then the revision awaits them.
    needs_second = models.BooleanField(default=False)
    second_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_accepted_at = models.DateTimeField(null=True, blank=True)
    second_ip_address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self):
        return f"{self.revision} accepted by {self.accepted_by}"


class QuoteCounter(models.Model):
    """Last quote number issued per year; rows are locked while a number is taken."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"
