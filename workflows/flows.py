"""Who does what next. The domain state lives in ``quotes``; these flows only route between
people and call the quote services.

    submit ─► rules fired? ─yes─► deal desk ─approve─► send ─► customer decides
                 │                   └─send back─► revise ◄──changes requested──┘
                 └─no─────────────────────────────► send     accepted / rejected / expired ─► end
"""

from contextvars import ContextVar

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import select_for_update_lock

from quotes import services as quote_services
from quotes.models import RevisionStatus

from .models import QuoteProcess
from .nodes import AccountTask

# The person whose action is moving the flow on; set by workflows.services around each step.
current_actor: ContextVar = ContextVar("current_actor", default=None)
current_request: ContextVar = ContextVar("current_request", default=None)


class QuoteFlow(flow.Flow):
    process_class = QuoteProcess
    lock_impl = select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.check_rules)

    check_rules = flow.If(this.waits_for_deal_desk).Then(this.deal_desk_review).Else(this.send)

    deal_desk_review = AccountTask("approve_deal").Next(this.after_review)

    after_review = flow.If(this.was_approved).Then(this.send).Else(this.revise)

    send = flow.Function(this.send_to_customer).Next(this.customer_decision)

    customer_decision = AccountTask("approve_quote").Next(this.route_decision)

    route_decision = flow.Switch().Case(this.revise, this.changes_requested).Default(this.end)

    revise = AccountTask("draft_quote").Next(this.check_rules)

    end = flow.End()

    # --- callbacks -------------------------------------------------------------------------

    def start_process(self, activation, quote, actor, request=None):
        activation.process.quote = quote
        quote_services.revision_submit(
            revision=quote.current_revision, actor=actor, request=request
        )
        return activation.process

    @staticmethod
    def _revision(activation):
        quote = activation.process.coerced.quote
        quote.refresh_from_db(fields=["current_revision"])
        return quote.current_revision

    def waits_for_deal_desk(self, activation):
        return self._revision(activation).status == RevisionStatus.PENDING_APPROVAL

    def was_approved(self, activation):
        return quote_services.revision_has_valid_approval(self._revision(activation))

    def send_to_customer(self, activation):
        quote_services.revision_send(
            revision=self._revision(activation),
            actor=current_actor.get(),
            request=current_request.get(),
        )

    def changes_requested(self, activation):
        return self._revision(activation).status == RevisionStatus.CHANGES_REQUESTED
