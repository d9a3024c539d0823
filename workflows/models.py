from django.db import models
from viewflow.workflow.models import Process

from contacts.models import Account, ContactChange
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


class ContactChangeProcess(Process):
    """One billing-contact change, from the proposal to the representative's decision."""

    change = models.ForeignKey(ContactChange, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "contact change process"

    @property
    def account(self) -> Account:
        return self.change.account
