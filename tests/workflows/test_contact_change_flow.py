"""Billing-contact changes, driven through the portal's pages as each person would use them: a
billing contact proposes (password re-entered) to add, remove or make primary a contact, the
account's representative confirms or declines, and the change is applied with everyone told.

Account a has billing contacts contact_a (primary, ap@alpha.example) and contact_a2
(alpha.controller), a member and representative rep_a; account b has contact_b (primary, its
only contact) and rep_b.
"""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent
from contacts import permissions
from contacts import services as contact_services
from contacts.models import (
    ContactChange,
    ContactChangeKind,
    ContactChangeStatus,
    Membership,
    MembershipRole,
    User,
)
from contacts.permissions import has_account_permission
from tests import factories
from workflows.models import ContactChangeProcess

OPEN = (STATUS.NEW, STATUS.ASSIGNED)
CONFIRM_LABEL = "Confirm or decline contact change"
NEW_PASSWORD = "Lavender-Orbit-2031"
SITE = "https://billing.openvoice.example"


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def as_user(db):
    """A fresh browser signed in as ``user`` (one per person, so sessions do not mix)."""

    def _as(user) -> Client:
        client = Client()
        client.force_login(user, backend="contacts.backends.LoginIdBackend")
        return client

    return _as


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """``with deliver():`` runs on-commit callbacks, so mail lands in ``mail.outbox``."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def alerts(response) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(
            r'<div class="alert [^"]*" role="(?:status|alert)">(.*?)</div>',
            response.content.decode(),
            re.S,
        )
    ]


def propose_url(account) -> str:
    return reverse("workflows:contact_change_propose", args=[account.number])


def propose_add(client, account, *, login_id="alpha.buyer", password=factories.PASSWORD, **kw):
    data = {
        "kind": "add",
        "add-first_name": kw.get("first_name", "Bea"),
        "add-last_name": kw.get("last_name", "Buyer"),
        "add-email": kw.get("email", "bea.buyer@alpha.example"),
        "add-login_id": login_id,
        "add-password": password,
    }
    return client.post(propose_url(account), data)


def propose_pick(client, account, kind, target, *, password=factories.PASSWORD):
    """``kind`` is "remove" or "make_primary"; ``target`` a user."""
    return client.post(
        propose_url(account),
        {"kind": kind, f"{kind}-target": str(target.pk), f"{kind}-password": password},
    )


def decide(client, change, decision, comment=""):
    return client.post(
        reverse("workflows:contact_change_decide", args=[change.pk]),
        {"decision": decision, "comment": comment},
    )


def changes_url(account) -> str:
    return reverse("contacts:account_home", args=[account.number]) + "#contact-changes"


def inbox_changes(client) -> list[tuple[str, str]]:
    """(task label, change text) rows of the contact-change tasks on /tasks/."""
    response = client.get(reverse("workflows:inbox"))
    assert response.status_code == 200
    return [
        (label, html.unescape(text))
        for label, text in re.findall(
            r'<td><a href="/accounts/OV-\d{7}/#contact-change-\d+">([^<]+)</a></td>\s*'
            r"<td>([^<]+)</td>",
            response.content.decode(),
        )
    ]


def contacts_of(account) -> list[tuple[str, bool]]:
    return list(
        Membership.objects.filter(account=account, role=MembershipRole.BILLING_CONTACT)
        .order_by("user__username")
        .values_list("user__username", "is_primary")
    )


def open_tasks(change) -> list[str]:
    return [
        t.flow_task.name
        for t in Task.objects.filter(process__contactchangeprocess__change=change, status__in=OPEN)
    ]


def process_status(change) -> str:
    return ContactChangeProcess.objects.get(change=change).status


def recipients() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


def everyone_on_a(world) -> set[str]:
    return {world.contact_a.email, world.contact_a2.email, world.rep_a.email}


def state(account):
    """Everything a refused step must leave as it was."""
    return (
        contacts_of(account),
        list(ContactChange.objects.order_by("pk").values_list("pk", "status", "target_id")),
        ContactChangeProcess.objects.count(),
        User.objects.count(),
        list(Task.objects.order_by("pk").values_list("pk", "status")),
    )


def the_change(account) -> ContactChange:
    return ContactChange.objects.get(account=account)


# --- adding a contact ----------------------------------------------------------------------


def test_adding_a_contact_confirmed_invites_them_and_they_sign_in(world, as_user, deliver):
    contact, rep = as_user(world.contact_a), as_user(world.rep_a)

    # Given contact_a proposes a colleague, password re-entered
    with deliver():
        response = propose_add(contact, world.a, login_id="Alpha.Buyer")
    assert response.status_code == 302
    assert response["Location"] == changes_url(world.a)
    change = the_change(world.a)
    assert (change.kind, change.status, change.new_login_id) == ("add", "pending", "alpha.buyer")
    assert change.proposer == world.contact_a
    # Then the contacts and the representative are told, and nothing is granted yet
    assert recipients() == everyone_on_a(world)
    assert "Bea Buyer (alpha.buyer)" in mail.outbox[0].body
    assert not User.objects.filter(username="alpha.buyer").exists()
    assert contacts_of(world.a) == [("alpha.controller", False), ("ap@alpha.example", True)]
    # And the representative has the task in My tasks; the contacts do not
    assert inbox_changes(rep) == [(CONFIRM_LABEL, "Add a billing contact: Bea Buyer (alpha.buyer)")]
    assert inbox_changes(contact) == []
    assert inbox_changes(as_user(world.rep_b)) == []
    # And the account page shows the pending change with the rep's confirm form
    page = rep.get(reverse("contacts:account_home", args=[world.a.number])).content.decode()
    assert "Waiting for the representative" in page
    assert reverse("workflows:contact_change_decide", args=[change.pk]) in page

    # When the representative confirms
    mail.outbox.clear()
    with deliver():
        response = decide(rep, change, "confirm", "Welcome")
    assert response.status_code == 302
    assert response["Location"] == changes_url(world.a)

    # Then the colleague is a billing contact with no usable password yet
    change.refresh_from_db()
    new = User.objects.get(username="alpha.buyer")
    assert (change.status, change.decider, change.comment, change.target) == (
        "confirmed",
        world.rep_a,
        "Welcome",
        new,
    )
    assert (new.email, new.first_name, new.last_name) == ("bea.buyer@alpha.example", "Bea", "Buyer")
    assert not new.has_usable_password()
    assert contacts_of(world.a) == [
        ("alpha.buyer", False),
        ("alpha.controller", False),
        ("ap@alpha.example", True),
    ]
    assert has_account_permission(new, "approve_quote", world.a)
    assert process_status(change) == PROCESS.DONE
    assert open_tasks(change) == []
    # And everyone is told, and the colleague gets an invitation with a 72-hour link
    invitation = next(m for m in mail.outbox if m.to == [new.email])
    decided = [m for m in mail.outbox if m.to != [new.email]]
    # (the billing contacts in one mail, linking to their portal; the representative in another)
    assert {address for m in decided for address in m.to} == everyone_on_a(world)
    assert all("confirmed" in m.subject for m in decided)
    assert "alpha.buyer" in invitation.body and "72 hours" in invitation.body
    link = re.search(rf"{SITE}(/invitation/\S+)", invitation.body).group(1)
    # And the confirmation's audit event holds the contacts before and after
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_CHANGE_CONFIRMED)
    assert event.actor == world.rep_a and event.account == world.a
    assert event.before["status"] == "pending" and event.after["status"] == "confirmed"
    assert {"user": "alpha.buyer", "primary": False} not in event.before["contacts"]
    assert {"user": "alpha.buyer", "primary": False} in event.after["contacts"]
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT, object_id=new.pk).exists()

    # When the colleague opens the link and sets a password
    colleague = Client()
    page = colleague.get(link)
    assert page.status_code == 200 and "alpha.buyer" in page.content.decode()
    response = colleague.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:corporate_login")

    # Then they sign in to the Corporate Billing Portal with the User ID
    response = colleague.post(
        reverse("contacts:corporate_login"), {"username": "alpha.buyer", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert int(colleague.session[SESSION_KEY]) == new.pk
    assert colleague.get(reverse("contacts:account_home", args=[world.a.number])).status_code == 200
    # And the link is spent
    used = colleague.get(link)
    assert "already been used" in html.unescape(used.content.decode())
    again = colleague.post(link, {"new_password1": "Other-Pass-9981", "new_password2": "x"})
    assert "already been used" in html.unescape(again.content.decode())
    new.refresh_from_db()
    assert new.check_password(NEW_PASSWORD)


def test_adding_a_contact_declined_creates_no_one(world, as_user, deliver):
    contact, rep = as_user(world.contact_a), as_user(world.rep_a)
    propose_add(contact, world.a)
    change = the_change(world.a)

    # When the representative declines with a reason
    mail.outbox.clear()
    with deliver():
        response = decide(rep, change, "decline", "Use the shared AP mailbox instead")
    assert response.status_code == 302

    # Then the change is declined, nobody is created, and everyone is told why
    change.refresh_from_db()
    assert (change.status, change.decider, change.comment) == (
        "declined",
        world.rep_a,
        "Use the shared AP mailbox instead",
    )
    assert not User.objects.filter(username="alpha.buyer").exists()
    assert contacts_of(world.a) == [("alpha.controller", False), ("ap@alpha.example", True)]
    assert recipients() == everyone_on_a(world)
    assert "Use the shared AP mailbox instead" in mail.outbox[0].body
    assert process_status(change) == PROCESS.DONE
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_CHANGE_DECLINED)
    assert (event.before["status"], event.after["status"]) == ("pending", "declined")
    assert event.after["comment"] == "Use the shared AP mailbox instead"


def test_declining_needs_a_comment(world, as_user):
    propose_add(as_user(world.contact_a), world.a)
    change = the_change(world.a)
    before = state(world.a)
    # When the representative declines without saying why
    response = decide(as_user(world.rep_a), change, "decline", "  ")
    # Then they are told, and nothing changed
    assert response.status_code == 302
    assert state(world.a) == before
    assert open_tasks(change) == ["confirm"]


def test_a_user_id_is_unique_at_proposal_and_at_confirmation(world, as_user):
    contact, rep = as_user(world.contact_a), as_user(world.rep_a)
    # A taken User ID (however typed) is refused at once
    before = state(world.a)
    response = propose_add(contact, world.a, login_id="BETA.AP")
    assert response.status_code == 400
    assert "The User ID beta.ap is already taken: choose another one." in alerts(response)
    assert state(world.a) == before
    # The same new ID twice is refused while the first waits
    propose_add(contact, world.a, login_id="alpha.buyer")
    response = propose_add(contact, world.a, login_id="alpha.buyer")
    assert response.status_code == 400
    assert ContactChange.objects.count() == 1
    # And an ID taken after the proposal is refused at confirmation, the change still waiting
    change = the_change(world.a)
    factories.billing_contact(world.b, username="alpha.buyer")
    before = state(world.a)
    response = decide(rep, change, "confirm")
    assert response.status_code == 302
    assert state(world.a) == before
    assert open_tasks(change) == ["confirm"]
    page = rep.get(response["Location"])
    assert any("already taken" in text for text in alerts(page))


def test_a_bad_user_id_format_is_refused(world, as_user):
    before = state(world.a)
    response = propose_add(as_user(world.contact_a), world.a, login_id="not an id!")
    assert response.status_code == 400
    assert "user-name format" in html.unescape(response.content.decode())
    assert state(world.a) == before


# --- removing a contact --------------------------------------------------------------------


def test_removing_a_contact_confirmed_ends_their_access_and_sessions(world, as_user, deliver):
    contact, rep, removed = (
        as_user(world.contact_a),
        as_user(world.rep_a),
        as_user(world.contact_a2),
    )
    account_url = reverse("contacts:account_home", args=[world.a.number])

    # Given contact_a proposes removing contact_a2
    response = propose_pick(contact, world.a, "remove", world.contact_a2)
    assert response.status_code == 302
    change = the_change(world.a)
    # Then, while it waits, contact_a2 keeps every right (a pending change does nothing)
    assert removed.get(account_url).status_code == 200
    assert has_account_permission(world.contact_a2, "approve_quote", world.a)

    # When the representative confirms
    mail.outbox.clear()
    with deliver():
        assert decide(rep, change, "confirm").status_code == 302

    # Then contact_a2 is no contact any more, holds no right and is signed out at once
    assert contacts_of(world.a) == [("ap@alpha.example", True)]
    assert not has_account_permission(world.contact_a2, "view_account", world.a)
    response = removed.get(account_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("contacts:login"))
    # And the account, the representative and the removed contact are told
    assert recipients() == everyone_on_a(world)
    change.refresh_from_db()
    assert (change.status, change.target) == ("confirmed", world.contact_a2)
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_CHANGE_CONFIRMED)
    assert event.before["contacts"] == [
        {"user": "alpha.controller", "primary": False},
        {"user": "ap@alpha.example", "primary": True},
    ]
    assert event.after["contacts"] == [{"user": "ap@alpha.example", "primary": True}]
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_REVOKED, object_id=world.contact_a2.pk
    ).exists()


def test_removing_a_contact_declined_keeps_them(world, as_user):
    propose_pick(as_user(world.contact_a), world.a, "remove", world.contact_a2)
    change = the_change(world.a)
    assert decide(as_user(world.rep_a), change, "decline", "Carl still approves").status_code == 302
    change.refresh_from_db()
    assert change.status == "declined"
    assert contacts_of(world.a) == [("alpha.controller", False), ("ap@alpha.example", True)]
    assert has_account_permission(world.contact_a2, "approve_quote", world.a)


def test_the_last_contact_cannot_be_removed(world, as_user):
    # Given account b, whose only billing contact is contact_b
    before = state(world.b)
    # When contact_b proposes removing themselves
    response = propose_pick(as_user(world.contact_b), world.b, "remove", world.contact_b)
    # Then it is refused with the reason, and nothing is saved
    assert response.status_code == 400
    assert contact_services.LAST_CONTACT in alerts(response)
    assert state(world.b) == before


def test_the_primary_cannot_be_removed(world, as_user):
    before = state(world.a)
    response = propose_pick(as_user(world.contact_a2), world.a, "remove", world.contact_a)
    assert response.status_code == 400
    assert contact_services.PRIMARY_REMOVAL in alerts(response)
    assert state(world.a) == before


def test_the_last_contact_is_kept_at_confirmation_too(world, as_user):
    # Given an account with two contacts and no primary, each proposing to remove the other
    account = factories.AccountFactory()
    x = factories.billing_contact(account, username="x.contact")
    y = factories.billing_contact(account, username="y.contact")
    rep = factories.representative(account, username="rep.c")
    assert propose_pick(as_user(y), account, "remove", x).status_code == 302
    assert propose_pick(as_user(x), account, "remove", y).status_code == 302
    first, second = ContactChange.objects.filter(account=account).order_by("pk")
    rep_client = as_user(rep)
    # When the representative confirms both
    assert decide(rep_client, first, "confirm").status_code == 302
    before = state(account)
    response = decide(rep_client, second, "confirm")
    # Then the second is refused, nothing changed, and it still waits to be declined
    assert response.status_code == 302
    assert state(account) == before
    assert contacts_of(account) == [("y.contact", False)]
    page = rep_client.get(response["Location"])
    assert f"{contact_services.LAST_CONTACT} Nothing was changed." in alerts(page)
    assert open_tasks(second) == ["confirm"]


# --- making a contact primary --------------------------------------------------------------


def test_making_a_contact_primary_confirmed(world, as_user, deliver):
    response = propose_pick(as_user(world.contact_a), world.a, "make_primary", world.contact_a2)
    assert response.status_code == 302
    change = the_change(world.a)
    assert contacts_of(world.a) == [("alpha.controller", False), ("ap@alpha.example", True)]
    mail.outbox.clear()
    with deliver():
        assert decide(as_user(world.rep_a), change, "confirm").status_code == 302
    assert contacts_of(world.a) == [("alpha.controller", True), ("ap@alpha.example", False)]
    assert recipients() == everyone_on_a(world)
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_CHANGE_CONFIRMED)
    assert {"user": "alpha.controller", "primary": True} in event.after["contacts"]
    assert {"user": "alpha.controller", "primary": False} in event.before["contacts"]


def test_making_a_contact_primary_declined(world, as_user):
    propose_pick(as_user(world.contact_a), world.a, "make_primary", world.contact_a2)
    change = the_change(world.a)
    assert decide(as_user(world.rep_a), change, "decline", "Ann stays primary").status_code == 302
    assert contacts_of(world.a) == [("alpha.controller", False), ("ap@alpha.example", True)]
    change.refresh_from_db()
    assert change.status == "declined"


def test_the_primary_cannot_be_made_primary_again(world, as_user):
    before = state(world.a)
    response = propose_pick(as_user(world.contact_a2), world.a, "make_primary", world.contact_a)
    assert response.status_code == 400  # not offered by the form, and refused if posted
    assert state(world.a) == before


def test_another_accounts_person_is_not_a_target(world, as_user):
    before = state(world.a)
    response = propose_pick(as_user(world.contact_a), world.a, "remove", world.contact_b)
    assert response.status_code == 400
    assert state(world.a) == before
    assert contacts_of(world.b) == [("beta.ap", True)]


# --- re-entering the password --------------------------------------------------------------


def test_a_wrong_password_saves_nothing(world, as_user, deliver):
    contact = as_user(world.contact_a)
    before = state(world.a)
    with deliver():
        response = propose_add(contact, world.a, password="wrong-password")
    assert response.status_code == 400
    assert contact_services.REAUTHENTICATION_FAILED in alerts(response)
    # The proposal's fields are kept for the next try; the password is not
    page = response.content.decode()
    assert 'value="alpha.buyer"' in page and "wrong-password" not in page
    assert state(world.a) == before
    assert mail.outbox == []
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.REAUTHENTICATION_FAILED, actor=world.contact_a
        ).count()
        == 1
    )


def test_wrong_passwords_are_throttled_like_sign_in(world, as_user):
    contact = as_user(world.contact_a)
    for _ in range(5):
        assert propose_add(contact, world.a, password="guess").status_code == 400
    # The sixth attempt is refused even with the right password
    response = propose_add(contact, world.a)
    assert response.status_code == 429
    assert contact_services.REAUTHENTICATION_THROTTLED in alerts(response)
    assert ContactChange.objects.count() == 0
    # And 15 minutes later the right password works again
    with freeze_time(timezone.now() + timedelta(minutes=16)):
        assert propose_add(contact, world.a).status_code == 302
    assert ContactChange.objects.count() == 1


# --- who may do what -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member_a", "rep_a", "deal_desk", "finance"])
def test_only_billing_contacts_propose(world, as_user, role):
    before = state(world.a)
    response = propose_add(as_user(getattr(world, role)), world.a)
    assert response.status_code == 404
    assert state(world.a) == before


@pytest.mark.parametrize("role", ["contact_a", "contact_a2", "rep_b", "deal_desk", "finance"])
def test_only_the_accounts_representative_decides(world, as_user, role):
    propose_add(as_user(world.contact_a), world.a)
    change = the_change(world.a)
    before = state(world.a)
    response = decide(as_user(getattr(world, role)), change, "confirm")
    assert response.status_code == 404
    assert state(world.a) == before


def test_a_decided_change_cannot_be_decided_again(world, as_user):
    propose_add(as_user(world.contact_a), world.a)
    change = the_change(world.a)
    rep = as_user(world.rep_a)
    assert decide(rep, change, "decline", "No").status_code == 302
    before = state(world.a)
    # When the representative (in another tab) confirms it after all
    response = decide(rep, change, "confirm")
    # Then it is a 409 saying what happened, and nothing changed
    assert response.status_code == 409
    assert "already declined" in html.unescape(response.content.decode())
    assert state(world.a) == before


def test_a_revoked_representative_cannot_finish_the_task(world, as_user):
    propose_add(as_user(world.contact_a), world.a)
    change = the_change(world.a)
    rep = as_user(world.rep_a)
    # (the role only: their session goes on, as if revoked while the page was open)
    permissions.revoke_role(user=world.rep_a, account=world.a, role=MembershipRole.REPRESENTATIVE)
    before = state(world.a)
    assert decide(rep, change, "confirm").status_code == 404
    assert state(world.a) == before


# --- invitations ---------------------------------------------------------------------------


@pytest.fixture
def invited(world, as_user, deliver):
    """A confirmed addition: (the new user, the path of their invitation link)."""
    propose_add(as_user(world.contact_a), world.a)
    mail.outbox.clear()
    with deliver():
        decide(as_user(world.rep_a), the_change(world.a), "confirm")
    user = User.objects.get(username="alpha.buyer")
    (message,) = [m for m in mail.outbox if m.to == [user.email]]
    return user, re.search(rf"{SITE}(/invitation/\S+)", message.body).group(1)


def _set(client, link):
    return client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_an_invitation_works_until_72_hours(invited, client):
    user, link = invited
    with freeze_time(timezone.now() + timedelta(hours=71, minutes=59)):
        assert _set(client, link).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_ACCEPTED, actor=user).exists()


def test_an_expired_invitation_is_refused_with_a_clear_page(invited, client):
    user, link = invited
    with freeze_time(timezone.now() + timedelta(hours=72, minutes=1)):
        page = client.get(link)
        response = _set(client, link)
    assert page.status_code == response.status_code == 200
    for answer in (page, response):
        assert "has expired: it was valid for 72 hours" in html.unescape(answer.content.decode())
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_tampered_invitation_is_refused(invited, client):
    user, link = invited
    response = _set(client, link[:-3] + "xyz/")
    assert "is not valid" in html.unescape(response.content.decode())
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_an_invitation_of_a_removed_contact_opens_nothing(invited, client, world):
    user, link = invited
    contact_services.membership_remove(membership=Membership.objects.get(user=user))
    response = _set(client, link)
    assert "is not valid" in html.unescape(response.content.decode())
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_weak_password_is_refused_and_the_link_still_works(invited, client):
    user, link = invited
    response = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert _set(client, link).status_code == 302


# --- the pending change in the domain ------------------------------------------------------


def resend(client, account, user, follow=True):
    return client.post(
        reverse("contacts:invitation_resend", args=[account.number, user.pk]), follow=follow
    )


@pytest.mark.parametrize("who", ["contact_a", "rep_a"])
def test_an_expired_invitation_is_sent_again_and_the_new_link_works(
    invited, world, as_user, deliver, who
):
    user, old_link = invited
    later = timezone.now() + timedelta(hours=73)
    with freeze_time(later):
        # Given the first link expired, the account page says the contact has no password yet
        sender = as_user(getattr(world, who))
        page = sender.get(reverse("contacts:account_home", args=[world.a.number]))
        assert "Has not set a password yet" in page.content.decode()
        assert "Send the invitation again" in page.content.decode()
        # When a billing contact or the representative sends it again
        mail.outbox.clear()
        with deliver():
            answer = resend(sender, world.a, user)
        # Then they are told, and a new invitation leaves with a link that works
        assert any(f"A new invitation was sent to {user.email}" in a for a in alerts(answer))
        (message,) = [m for m in mail.outbox if m.to == [user.email]]
        link = re.search(rf"{SITE}(/invitation/\S+)", message.body).group(1)
        assert _set(Client(), link).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    sent = AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT, object_id=str(user.pk))
    assert sent.count() == 2 and sent.order_by("-occurred_at").first().actor == getattr(world, who)
    # and once the password is set, the button is gone and a resend is refused
    page = as_user(world.rep_a).get(reverse("contacts:account_home", args=[world.a.number]))
    assert "Send the invitation again" not in page.content.decode()
    mail.outbox.clear()
    refused = resend(as_user(world.rep_a), world.a, user)
    assert any("has set their password already" in a for a in alerts(refused))
    assert mail.outbox == [] and sent.count() == 2


def test_an_invitation_is_not_sent_twice_within_ten_minutes(invited, world, as_user):
    user, _ = invited
    with freeze_time(timezone.now() + timedelta(minutes=9)):
        answer = resend(as_user(world.rep_a), world.a, user)
    assert any("less than 10 minutes ago" in a for a in alerts(answer))
    sent = AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT, object_id=str(user.pk))
    assert sent.count() == 1


@pytest.mark.parametrize("who", ["member_a", "contact_b", "rep_b", "deal_desk"])
def test_only_the_accounts_contacts_and_representative_send_it_again(invited, world, as_user, who):
    user, _ = invited
    # Neither someone without the right, nor anyone naming the contact under another account
    answers = [
        resend(as_user(getattr(world, who)), world.a, user, follow=False),
        resend(as_user(world.contact_b), world.b, user, follow=False),
        resend(as_user(world.rep_b), world.b, user, follow=False),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    sent = AuditEvent.objects.filter(action=AuditAction.INVITATION_SENT, object_id=str(user.pk))
    assert sent.count() == 1


def test_kinds_and_statuses_are_the_declared_ones():
    assert {k.value for k in ContactChangeKind} == {"add", "remove", "make_primary"}
    assert {s.value for s in ContactChangeStatus} == {
        "pending",
        "confirmed",
        "declined",
        "withdrawn",
    }


def test_a_self_service_accounts_new_contact_is_sent_to_the_billing_center(world, as_user, deliver):
    # Given a self-service account with its billing contact and representative
    account = factories.AccountFactory(kind="self_service")
    owner = factories.billing_contact(account, primary=True, username="owner.ss")
    rep = factories.representative(account, username="rep.ss")
    assert propose_add(as_user(owner), account, login_id="ss.colleague").status_code == 302
    mail.outbox.clear()
    # When the representative confirms and the colleague sets a password
    with deliver():
        decide(as_user(rep), ContactChange.objects.get(account=account), "confirm")
    (invitation,) = [m for m in mail.outbox if m.to == ["bea.buyer@alpha.example"]]
    assert "on the Billing Center" in invitation.body
    assert f"{SITE}/login/" in invitation.body
    link = re.search(rf"{SITE}(/invitation/\S+)", invitation.body).group(1)
    response = _set(Client(), link)
    # Then they are sent to the Billing Center's sign-in, where their User ID works
    assert response["Location"] == reverse("contacts:login")
    colleague = Client()
    signed_in = colleague.post(
        reverse("contacts:login"), {"username": "ss.colleague", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert colleague.get(reverse("contacts:account_home", args=[account.number])).status_code == 200


# --- withdrawing a proposal ----------------------------------------------------------------


def withdraw(client, change):
    return client.post(reverse("workflows:contact_change_withdraw", args=[change.pk]))


@pytest.mark.parametrize("who", ["contact_a", "contact_a2"])
def test_a_billing_contact_withdraws_a_pending_proposal(world, as_user, deliver, who):
    propose_pick(as_user(world.contact_a), world.a, "remove", world.contact_a2)
    change = the_change(world.a)
    mail.outbox.clear()
    # When the proposer, or another contact of the account, withdraws it
    with deliver():
        response = withdraw(as_user(getattr(world, who)), change)
    # Then it is withdrawn, nothing else changed, the task is gone and everyone is told
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.status, change.decider) == ("withdrawn", getattr(world, who))
    assert contacts_of(world.a) == [("alpha.controller", False), ("ap@alpha.example", True)]
    assert open_tasks(change) == []
    assert process_status(change) == PROCESS.DONE
    assert recipients() == everyone_on_a(world)
    assert "withdrew" in mail.outbox[0].body
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_CHANGE_WITHDRAWN)
    assert (event.before["status"], event.after["status"]) == ("pending", "withdrawn")
    # And the representative can no longer confirm it
    before = state(world.a)
    late = decide(as_user(world.rep_a), change, "confirm")
    assert late.status_code == 409
    assert "already withdrawn" in html.unescape(late.content.decode())
    assert state(world.a) == before


@pytest.mark.parametrize("role", ["rep_a", "member_a", "contact_b", "deal_desk", "finance"])
def test_only_the_accounts_billing_contacts_withdraw(world, as_user, role):
    propose_add(as_user(world.contact_a), world.a)
    change = the_change(world.a)
    before = state(world.a)
    assert withdraw(as_user(getattr(world, role)), change).status_code == 404
    assert state(world.a) == before


def test_a_decided_change_cannot_be_withdrawn(world, as_user):
    propose_add(as_user(world.contact_a), world.a)
    change = the_change(world.a)
    decide(as_user(world.rep_a), change, "decline", "No")
    before = state(world.a)
    response = withdraw(as_user(world.contact_a), change)
    assert response.status_code == 409
    assert "already declined" in html.unescape(response.content.decode())
    assert state(world.a) == before


def test_the_withdraw_button_is_shown_to_billing_contacts_on_pending_changes(world, as_user):
    propose_add(as_user(world.contact_a), world.a)
    change = the_change(world.a)
    url = reverse("contacts:account_home", args=[world.a.number])
    button = reverse("workflows:contact_change_withdraw", args=[change.pk])
    decide_form = reverse("workflows:contact_change_decide", args=[change.pk])
    contact_page = as_user(world.contact_a2).get(url).content.decode()
    rep_page = as_user(world.rep_a).get(url).content.decode()
    assert button in contact_page and decide_form not in contact_page
    assert decide_form in rep_page and button not in rep_page
