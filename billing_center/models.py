"""The Billing Center's domain: subscriptions (plans), their invoices (billing history, one per
renewal and one per immediate charge) and the account's payment methods.

Amounts are ``Decimal`` in ``quotes.models.money_field`` columns and are rounded by
``quotes.money.round_money`` before they are stored (SQLite keeps decimals as REAL).
"""

from django.db import models
from django.db.models import Q

from contacts.models import Account
from quotes.models import BillingFrequency, Product, money_field
from quotes.money import CURRENCY_CHOICES


class Frequency(models.TextChoices):
    """The frequencies a plan renews at: the price book's, less "one-time"."""

    MONTHLY = BillingFrequency.MONTHLY.value, "Monthly"
    ANNUALLY = BillingFrequency.ANNUALLY.value, "Annually"


MONTHS = {Frequency.MONTHLY: 1, Frequency.ANNUALLY: 12}


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELS_AT_PERIOD_END = "cancels_at_period_end", "Cancels at the end of the term"
    CANCELLED = "cancelled", "Cancelled"


class Subscription(models.Model):
    """One plan of an account: a price-book product, a number of seats, renewing every month or
    year. ``period_end`` is exclusive and is the next renewal date.

    At most one change waits for the next renewal: the ``pending_*`` fields describe the plan as it
    will be from then on (fewer seats, a cheaper product, or another billing frequency, the last
    two at their list price)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="subscriptions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField("seats")
    billing_frequency = models.CharField(max_length=10, choices=Frequency.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    # Per seat per period, in whole minor units of the currency (rounded when taken from the
    # price book), so that N seats for a whole period cost exactly N × unit price.
    unit_price = money_field()
    # The day of the month periods start on: a plan started on 31 January renews on 28 February
    # and then on 31 March, not on the 28th ever after.
    anchor_day = models.PositiveSmallIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(
        max_length=24, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    pending_product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pending_quantity = models.PositiveIntegerField(null=True, blank=True)
    pending_billing_frequency = models.CharField(
        max_length=10, choices=Frequency.choices, blank=True
    )
    pending_unit_price = money_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["account", "id"], name="bc_subscription_list"),
            models.Index(fields=["status", "period_end"], name="bc_subscription_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bc_subscription_seats"),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="bc_subscription_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.product.sku} × {self.quantity}"

    @property
    def has_pending_change(self) -> bool:
        return (
            self.pending_quantity is not None
            or self.pending_product_id is not None
            or bool(self.pending_billing_frequency)
        )


class InvoiceKind(models.TextChoices):
    NEW_PLAN = "new_plan", "New plan"
    RENEWAL = "renewal", "Renewal"
    PRORATION = "proration", "Prorated charge"


class InvoiceStatus(models.TextChoices):
    DUE = "due", "Due"
    PAID = "paid", "Paid"


class InvoiceCounter(models.Model):
    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Invoice(models.Model):
    """An entry of the billing history. Addressed to the account's primary billing contact by
    their billing User ID (the seed: the User ID is "located on an emailed invoice")."""

    number = models.CharField(max_length=24, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="invoices")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    issued_on = models.DateField()
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    subtotal = money_field()
    tax = money_field(default=0)
    total = money_field()
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DUE
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    # What paid it, as the customer knows it ("Visa •••• 4242") and the processor's reference.
    paid_with = models.CharField(max_length=60, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    last_decline = models.CharField(max_length=200, blank=True)
    billed_to_login = models.CharField("billing User ID", max_length=150)
    billed_to_name = models.CharField(max_length=300, blank=True)
    billed_to_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["account", "-issued_on", "-id"], name="bc_invoice_list")]
        constraints = [
            # One invoice per renewal: the renewal job may run twice, or twice at once.
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=Q(kind="renewal"),
                name="bc_invoice_once_per_renewal",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    amount = money_field()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="bc_invoice_line_once")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} #{self.position}"


class PaymentMethod(models.Model):
    """A card on file. Only what the customer needs to recognise it and the processor's token are
    kept: never the card number or the security code."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payment_methods")
    holder_name = models.CharField(max_length=200)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    processor_token = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="bc_payment_method_list")]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_default=True), name="bc_one_default_method"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year}"
