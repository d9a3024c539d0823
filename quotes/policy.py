"""What may happen to a quote revision, declared once.

``TRANSITIONS`` is the status table: from-status, action, the right on the quote's account that
the actor needs (``SYSTEM`` for the clock), to-status. Services assert a row before writing
(``require``); views and templates ask ``allowed_actions`` which buttons to show. Nothing else
compares status strings to decide what may happen.

Three facts besides the stored status decide what is possible, and all are read here:
* only the quote's *current* revision can move; older ones are superseded;
* a sent revision whose validity has ended is expired, even before the hourly job records it;
* the billing contact who gave the first of two acceptances cannot give the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from contacts.permissions import account_permissions
from corp_billing.times import zone_name

from .models import RevisionStatus

if TYPE_CHECKING:
    from contacts.models import User

    from .models import QuoteRevision

S = RevisionStatus
SYSTEM = ""  # the clock: no person holds this right


class QuoteConflict(Exception):
    """The quote moved on since the page was shown (someone else decided first, it expired…)."""


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    FINANCE_APPROVE = "finance_approve"
    FINANCE_SEND_BACK = "finance_send_back"
    ACCEPT = "accept"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    REVISE = "revise"


@dataclass(frozen=True)
class Transition:
    source: str
    action: Action
    right: str
    target: str
    note: str = ""


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, Action.EDIT, "draft_quote", S.DRAFT),
    # Internal approval goes tier by tier (deal desk, then finance), asking only the tiers whose
    # rules fired and are not covered by an earlier approval (see ``selectors.approval_plan``).
    Transition(S.DRAFT, Action.SUBMIT, "draft_quote", S.PENDING_APPROVAL, "a deal-desk rule"),
    Transition(S.DRAFT, Action.SUBMIT, "draft_quote", S.PENDING_FINANCE, "finance rules only"),
    Transition(S.DRAFT, Action.SUBMIT, "draft_quote", S.SENT, "no rule, or all approved"),
    Transition(S.PENDING_APPROVAL, Action.APPROVE, "approve_deal", S.PENDING_FINANCE, "finance"),
    Transition(S.PENDING_APPROVAL, Action.APPROVE, "approve_deal", S.SENT, "approving sends it"),
    Transition(S.PENDING_APPROVAL, Action.SEND_BACK, "approve_deal", S.DRAFT),
    Transition(S.PENDING_FINANCE, Action.FINANCE_APPROVE, "approve_finance", S.SENT, "sends it"),
    Transition(S.PENDING_FINANCE, Action.FINANCE_SEND_BACK, "approve_finance", S.DRAFT),
    Transition(S.SENT, Action.ACCEPT, "approve_quote", S.ACCEPTED),
    Transition(S.SENT, Action.ACCEPT, "approve_quote", S.AWAITING_SECOND, "two signatures"),
    Transition(S.SENT, Action.REJECT, "approve_quote", S.REJECTED),
    Transition(S.SENT, Action.REQUEST_CHANGES, "approve_quote", S.CHANGES_REQUESTED),
    Transition(S.SENT, Action.WITHDRAW, "draft_quote", S.WITHDRAWN),
    Transition(S.SENT, Action.EXPIRE, SYSTEM, S.EXPIRED, "end of the validity day"),
    # The second signature: another billing contact confirms the same document, or ends the
    # round (as the first one may too) by rejecting or asking for changes.
    Transition(S.AWAITING_SECOND, Action.ACCEPT, "approve_quote", S.ACCEPTED, "second contact"),
    Transition(S.AWAITING_SECOND, Action.REJECT, "approve_quote", S.REJECTED),
    Transition(S.AWAITING_SECOND, Action.REQUEST_CHANGES, "approve_quote", S.CHANGES_REQUESTED),
    Transition(S.AWAITING_SECOND, Action.WITHDRAW, "draft_quote", S.WITHDRAWN),
    Transition(S.AWAITING_SECOND, Action.EXPIRE, SYSTEM, S.EXPIRED, "end of the validity day"),
    # A new draft revision follows; this one stays as it is, superseded.
    Transition(S.CHANGES_REQUESTED, Action.REVISE, "draft_quote", S.CHANGES_REQUESTED, "revise"),
    Transition(S.REJECTED, Action.REVISE, "draft_quote", S.REJECTED, "re-issue"),
    Transition(S.EXPIRED, Action.REVISE, "draft_quote", S.EXPIRED, "re-issue"),
    Transition(S.WITHDRAWN, Action.REVISE, "draft_quote", S.WITHDRAWN, "re-issue"),
)

# Where the customer may still decide: what expires at the end of the validity day.
UNDECIDED = frozenset(t.source for t in TRANSITIONS if t.action == Action.EXPIRE)

# The right each action needs, whatever the status: checked before the state, so that someone
# without it learns nothing about where the quote is.
RIGHTS: dict[Action, str] = {t.action: t.right for t in TRANSITIONS}


# --- time --------------------------------------------------------------------------------------


def expires_at(revision: QuoteRevision) -> datetime:
    """The end of the validity date in the account's time zone."""
    tz = ZoneInfo(revision.quote.account.time_zone)
    day = revision.valid_until
    if day >= date.max:
        # 31 December 9999 has no next day: the end of that day is the last representable moment.
        return datetime.combine(day, time.max, tzinfo=tz)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def is_expired(revision: QuoteRevision, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= expires_at(revision)


def reminder_due(revision: QuoteRevision, now: datetime) -> str | None:
    """'7d' or '1d' when that expiry reminder is due and not yet sent, else None."""
    if revision.status not in UNDECIDED or is_expired(revision, now):
        return None
    left = expires_at(revision) - now
    if left <= timedelta(days=1) and revision.reminded_1d_at is None:
        return "1d"
    if left <= timedelta(days=7) and revision.reminded_7d_at is None and left > timedelta(days=1):
        return "7d"
    return None


# --- the table, read -----------------------------------------------------------------------------


def effective_status(revision: QuoteRevision, now: datetime | None = None) -> str:
    """The stored status, except that an undecided revision past its validity is expired."""
    if revision.status in UNDECIDED and is_expired(revision, now):
        return S.EXPIRED
    return revision.status


def has_expired(revision: QuoteRevision) -> bool:
    """Expired, recorded or not yet: what the customer must be told."""
    return effective_status(revision) == S.EXPIRED


def transition_note(revision: QuoteRevision, action: Action) -> str:
    """The note of the row ``action`` would take from here ("revise" or "re-issue"), for the
    button's wording; "" when there is none."""
    rows = transitions_from(effective_status(revision), action)
    return rows[0].note if rows else ""


def _is_current(revision: QuoteRevision) -> bool:
    return revision.quote.current_revision_id == revision.pk


def transitions_from(status: str, action: Action) -> tuple[Transition, ...]:
    return tuple(t for t in TRANSITIONS if t.source == status and t.action == action)


def allowed_actions(
    user: User, revision: QuoteRevision, *, perms: frozenset[str] | None = None
) -> frozenset[Action]:
    """The actions ``user`` has on ``revision`` now. ``perms`` (their rights on the account) may
    be passed when the caller already has them."""
    if not _is_current(revision):
        return frozenset()
    if perms is None:
        perms = account_permissions(user, revision.quote.account)
    status = effective_status(revision)
    allowed = frozenset(
        t.action for t in TRANSITIONS if t.source == status and t.right and t.right in perms
    )
    if first_signer_id(revision, status) == user.pk:
        allowed -= {Action.ACCEPT}
    return allowed


def first_signer_id(revision: QuoteRevision, status: str | None = None) -> int | None:
    """Who gave the first of two acceptances, while the second is awaited; else None."""
    if (status or effective_status(revision)) != S.AWAITING_SECOND:
        return None
    acceptance = getattr(revision, "acceptance", None)
    return acceptance.accepted_by_id if acceptance is not None else None


# The approval tier each internal review action works for.
REVIEW_TIER: dict[Action, str] = {
    Action.APPROVE: "deal_desk",
    Action.SEND_BACK: "deal_desk",
    Action.FINANCE_APPROVE: "finance",
    Action.FINANCE_SEND_BACK: "finance",
}


def is_editable(revision: QuoteRevision) -> bool:
    """A draft: what submitting it would ask is not frozen yet."""
    return bool(transitions_from(effective_status(revision), Action.EDIT))


def needs_second_acceptance(revision: QuoteRevision) -> bool:
    """Accepting this revision needs two different billing contacts: its total is above the
    amount its account set (in the account's currency, which is the quote's)."""
    above = revision.quote.account.second_acceptance_above
    return above is not None and revision.total > above


def after_approval(status: str) -> str:
    """What an approver is told once their approval is recorded and the revision is in
    ``status``."""
    if status == S.PENDING_FINANCE:
        return "Approved: finance approves next, then the quote goes to the customer."
    return "Approved: the quote was sent to the customer."


def require_right(actor: User | None, action: Action, revision: QuoteRevision) -> None:
    """PermissionDenied (shown as the same 404 as a missing quote) unless ``actor`` holds the
    action's right on the account; the clock (``actor=None``) may only do system actions."""
    right = RIGHTS[action]
    if actor is None:
        if right != SYSTEM:
            raise PermissionDenied(action)
        return
    if not right or right not in account_permissions(actor, revision.quote.account):
        raise PermissionDenied(f"{action} on {revision.quote.account.number}")


def require(
    actor: User | None, action: Action, revision: QuoteRevision, *, to: str | None = None
) -> Transition:
    """The row that allows ``actor`` to do ``action`` to ``revision`` now, or the reason not:
    PermissionDenied for a missing right (checked first), QuoteConflict for the state."""
    require_right(actor, action, revision)
    if not _is_current(revision):
        raise QuoteConflict(
            f"Revision {revision.number} was superseded by a newer revision and cannot be "
            f"{'accepted' if RIGHTS[action] == 'approve_quote' else 'changed'}."
        )
    # The clock expires what is stored as sent; everyone else sees it as already expired.
    status = revision.status if action == Action.EXPIRE else effective_status(revision)
    rows = [t for t in transitions_from(status, action) if to is None or t.target == to]
    if not rows:
        raise QuoteConflict(_refusal(revision, action, status))
    return rows[0]


def _refusal(revision: QuoteRevision, action: Action, status: str) -> str:
    customer_action = RIGHTS[action] == "approve_quote"
    if status == S.EXPIRED and customer_action:
        return (
            f"This quote expired at the end of {revision.valid_until:%d %B %Y} "
            f"({zone_name(revision.quote.account)}). Ask your representative to re-issue it."
        )
    if customer_action and status in (S.DRAFT, S.PENDING_APPROVAL, S.PENDING_FINANCE):
        # Drafts and internal approval are the vendor's business: say only what it means.
        return (
            "Your representative is preparing a new revision of this quote; nothing was "
            "changed. You will be e-mailed when it is ready."
        )
    label = S(status).label.lower()
    if customer_action:
        return f"This quote was already {label}; nothing was changed."
    if action == Action.EDIT:
        return f"Revision {revision.number} is {label}: only a draft can be edited."
    if action in (Action.APPROVE, Action.SEND_BACK):
        return "This revision is no longer waiting for deal desk's approval."
    if action in (Action.FINANCE_APPROVE, Action.FINANCE_SEND_BACK):
        return "This revision is no longer waiting for finance's approval."
    if action == Action.REVISE:
        return (
            f"Revision {revision.number} is {label}: a new revision can follow only a "
            "rejected, expired, withdrawn or changes-requested one."
        )
    if action == Action.WITHDRAW:
        return (
            f"Revision {revision.number} is {label}: only a sent, undecided quote can be withdrawn."
        )
    return f"Revision {revision.number} is {label}; nothing was changed."
