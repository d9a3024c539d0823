"""Who does what next. The domain state lives in ``quotes``; the flow only routes on it.

Every human step is done by ``workflows.services`` through ``tasks.run_task``, which calls one
quote service (submitting, approving, deciding…) and then completes the task; the flow reads the
revision's status to choose the next task:

    submit ─► route ─ pending approval ─► deal desk ─► route
                │ ─ pending finance ──► finance ─► route
                │ ─ sent ─────────────► customer decides ─► route
                │ ─ awaiting second ──► a second billing contact decides ─► route
                │ ─ draft / changes requested ─► revise (rep submits again) ─► route
                └ ─ accepted / rejected / withdrawn / expired ─► end

Which tiers approve (deal desk, then finance, each only when rules of theirs fired and no
earlier approval covers them) and whether the customer needs two signatures is decided by the
quote services; the flow only follows the status they leave.
"""

from typing import Any

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import select_for_update_lock

from contacts.models import ContactChange, ContactChangeStatus
from purchase_orders.models import ChangeStatus, PurchaseOrderChange
from quotes.models import Quote, QuoteRevision, RevisionStatus

from .models import ContactChangeProcess, POChangeProcess, QuoteProcess
from .nodes import AccountTask

# The status of the current revision after a step, and the task that follows it. Any other
# status (accepted, rejected, withdrawn, expired) ends the process.
NEXT_STEP: dict[str, str] = {
    RevisionStatus.PENDING_APPROVAL: "deal_desk_review",
    RevisionStatus.PENDING_FINANCE: "finance_review",
    RevisionStatus.SENT: "customer_decision",
    RevisionStatus.AWAITING_SECOND: "second_acceptance",
    RevisionStatus.DRAFT: "revise",
    RevisionStatus.CHANGES_REQUESTED: "revise",
}


class QuoteFlow(flow.Flow):
    process_class = QuoteProcess
    lock_impl = select_for_update_lock

    start = flow.StartHandle(this.link_quote).Next(this.route)

    route = (
        flow.Switch()
        .Case(this.deal_desk_review, this.waits_for_deal_desk)
        .Case(this.finance_review, this.waits_for_finance)
        .Case(this.customer_decision, this.waits_for_customer)
        .Case(this.second_acceptance, this.waits_for_second_contact)
        .Case(this.revise, this.waits_for_representative)
        .Default(this.end)
    )

    deal_desk_review = AccountTask("approve_deal").Next(this.route)

    finance_review = AccountTask("approve_finance").Next(this.route)

    customer_decision = AccountTask("approve_quote").Next(this.route)

    # Any billing contact but the one who accepted first (``quotes.policy`` refuses them).
    second_acceptance = AccountTask("approve_quote").Next(this.route)

    revise = AccountTask("draft_quote").Next(this.route)

    end = flow.End()

    def link_quote(self, activation: Any, quote: Quote) -> QuoteProcess:
        activation.process.quote = quote
        activation.process.account_id = quote.account_id
        return activation.process

    @staticmethod
    def _revision(activation: Any) -> QuoteRevision:
        quote = activation.process.coerced.quote
        quote.refresh_from_db(fields=["current_revision"])
        return quote.current_revision

    def _next(self, activation: Any) -> str | None:
        return NEXT_STEP.get(self._revision(activation).status)

    def waits_for_deal_desk(self, activation: Any) -> bool:
        return self._next(activation) == "deal_desk_review"

    def waits_for_finance(self, activation: Any) -> bool:
        return self._next(activation) == "finance_review"

    def waits_for_customer(self, activation: Any) -> bool:
        return self._next(activation) == "customer_decision"

    def waits_for_second_contact(self, activation: Any) -> bool:
        return self._next(activation) == "second_acceptance"

    def waits_for_representative(self, activation: Any) -> bool:
        return self._next(activation) == "revise"


class ContactChangeFlow(flow.Flow):
    """A billing contact's proposal waits for the account's representative:

        propose ─► route ─ pending ─► representative confirms or declines ─► route
                    └ ─ confirmed / declined ─► end

    The proposal and the decision are ``contacts`` services run by ``workflows.services``."""

    process_class = ContactChangeProcess
    lock_impl = select_for_update_lock

    start = flow.StartHandle(this.link_change).Next(this.route)

    route = flow.Switch().Case(this.confirm, this.waits_for_representative).Default(this.end)

    confirm = AccountTask("review_contact_change").Next(this.route)

    end = flow.End()

    def link_change(self, activation: Any, change: ContactChange) -> ContactChangeProcess:
        activation.process.change = change
        activation.process.account_id = change.account_id
        return activation.process

    def waits_for_representative(self, activation: Any) -> bool:
        change = activation.process.coerced.change
        change.refresh_from_db(fields=["status"])
        return change.status == ContactChangeStatus.PENDING


# The status of a PO change after a step, and the task that follows it. Approved, rejected and
# withdrawn end the process.
PO_CHANGE_NEXT_STEP: dict[str, str] = {
    ChangeStatus.PENDING: "review",
    ChangeStatus.CONFLICTED: "rebase",
}


class POChangeFlow(flow.Flow):
    """A billing contact proposes a PO change → a representative of the account or finance
    approves or rejects → approved changes are applied by the domain service if the PO is still
    at the proposed version; otherwise the change waits for a billing contact to re-base it
    (back to review) or withdraw it.

        propose ─► route ─ pending ─► review ─► route
                     │ ─ conflicted ─► rebase ─► route
                     └ ─ approved / rejected / withdrawn ─► end
    """

    process_class = POChangeProcess
    lock_impl = select_for_update_lock

    start = flow.StartHandle(this.link_change).Next(this.route)

    route = (
        flow.Switch()
        .Case(this.review, this.waits_for_review)
        .Case(this.rebase, this.waits_for_rebase)
        .Default(this.end)
    )

    review = AccountTask("review_po_change").Next(this.route)

    rebase = AccountTask("propose_po_change").Next(this.route)

    end = flow.End()

    def link_change(self, activation: Any, change: PurchaseOrderChange) -> POChangeProcess:
        activation.process.change = change
        activation.process.account_id = change.purchase_order.account_id
        return activation.process

    def _next(self, activation: Any) -> str | None:
        change = activation.process.coerced.change
        change.refresh_from_db(fields=["status"])
        return PO_CHANGE_NEXT_STEP.get(change.status)

    def waits_for_review(self, activation: Any) -> bool:
        return self._next(activation) == "review"

    def waits_for_rebase(self, activation: Any) -> bool:
        return self._next(activation) == "rebase"
