from django.db import models
from viewflow.workflow.models import Process

from contacts.models import Account, ContactChange
from purchase_orders.models import PurchaseOrderChange
from quotes.models import Quote


class QuoteProcess(Process):
    """One trip of a quote through approval and the customer's decision. A quote re-issued after
    rejection or expiry starts a new process; changes requested loop inside the same one."""

    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="+")
    # The quote's account, copied when the process starts (a quote never changes account): the
    # inbox finds "open tasks on my accounts" through this indexed key, by one probe per task,
    # instead of through the quote of every process.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "quote process"


class ContactChangeProcess(Process):
    """One billing-contact change, from the proposal to the representative's decision."""

    change = models.ForeignKey(ContactChange, on_delete=models.PROTECT, related_name="+")
    # The change's account, copied when the process starts (see ``QuoteProcess.account``).
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "contact change process"


class POChangeProcess(Process):
    """One proposed PO change on its way: review, and re-basing after a conflict."""

    change = models.ForeignKey(PurchaseOrderChange, on_delete=models.PROTECT, related_name="+")
    # The PO's account, copied when the process starts (see ``QuoteProcess.account``).
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "PO change process"
