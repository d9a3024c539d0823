from django.db import models
from viewflow.workflow.models import Process

from contacts.models import Account
from purchase_orders.models import PurchaseOrderChange
from quotes.models import Quote


class QuoteProcess(Process):
    """One trip of a quote through approval and the customer's decision. A quote re-issued after
    rejection or expiry starts a new process; changes requested loop inside the same one."""

    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "quote process"

    @property
    def account(self) -> Account:
        return self.quote.account


class POChangeProcess(Process):
    """One proposed PO change on its way: review, and re-basing after a conflict."""

    change = models.ForeignKey(PurchaseOrderChange, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "PO change process"

    @property
    def account(self) -> Account:
        return self.change.purchase_order.account
