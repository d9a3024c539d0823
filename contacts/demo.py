"""Demo accounts and people: one login per role (the README's table lists them)."""

from dataclasses import dataclass

from django.db import transaction

from . import services
from .models import Account, AccountKind, Membership, MembershipRole, StaffRole, User

DEMO_PASSWORD = "openvoice-demo-2026"


@dataclass(frozen=True)
class DemoPerson:
    login: str
    email: str
    first: str
    last: str
    staff_role: str = ""
    is_admin: bool = False


ACCOUNTS = [
    dict(
        number="OV-1002345",
        name="Acme Corporation",
        kind=AccountKind.CORPORATE,
        currency="USD",
        time_zone="America/New_York",
        billing_address=(
            "Acme Corporation\nAccounts Payable\n100 Main Street\nSpringfield, IL 62701\nUSA"
        ),
        po_required=True,
    ),
    dict(
        number="OV-1002346",
        name="Globex GmbH",
        kind=AccountKind.CORPORATE,
        currency="EUR",
        time_zone="Europe/Berlin",
        billing_address="Globex GmbH\nBuchhaltung\nFriedrichstraße 12\n10117 Berlin\nGermany",
        po_required=False,
    ),
    dict(
        number="OV-2000101",
        name="Initech Studio",
        kind=AccountKind.SELF_SERVICE,
        currency="USD",
        time_zone="America/Chicago",
        billing_address="Initech Studio\n4120 Freidrich Lane\nAustin, TX 78744\nUSA",
        po_required=False,
    ),
]

PEOPLE = [
    DemoPerson("ap@acme.example", "ap@acme.example", "Ann", "Parker"),
    DemoPerson("acme.controller", "controller@acme.example", "Carl", "Olsen"),
    DemoPerson("acme.employee", "employee@acme.example", "Erin", "Moss"),
    DemoPerson("billing@globex.example", "billing@globex.example", "Greta", "Bauer"),
    DemoPerson("globex.finance", "finanzen@globex.example", "Felix", "Wagner"),
    DemoPerson("initech.owner", "owner@initech.example", "Olivia", "Nguyen"),
    DemoPerson("initech.dev", "dev@initech.example", "Dev", "Patel"),
    DemoPerson(
        "rep.alice", "alice.rep@logmein.example", "Alice", "Reyes", StaffRole.REPRESENTATIVE
    ),
    DemoPerson("rep.bob", "bob.rep@logmein.example", "Bob", "Chen", StaffRole.REPRESENTATIVE),
    DemoPerson("dealdesk.dana", "dealdesk@logmein.example", "Dana", "Kim", StaffRole.DEAL_DESK),
    DemoPerson("finance.frank", "finance@logmein.example", "Frank", "Ortiz", StaffRole.FINANCE),
    DemoPerson(
        "admin", "admin@logmein.example", "Ada", "Admin", StaffRole.ADMINISTRATOR, is_admin=True
    ),
]

# (account number, login, role, primary)
MEMBERSHIPS = [
    ("OV-1002345", "ap@acme.example", MembershipRole.BILLING_CONTACT, True),
    ("OV-1002345", "acme.controller", MembershipRole.BILLING_CONTACT, False),
    ("OV-1002345", "acme.employee", MembershipRole.MEMBER, False),
    ("OV-1002345", "rep.alice", MembershipRole.REPRESENTATIVE, False),
    ("OV-1002346", "billing@globex.example", MembershipRole.BILLING_CONTACT, True),
    ("OV-1002346", "globex.finance", MembershipRole.BILLING_CONTACT, False),
    ("OV-1002346", "rep.bob", MembershipRole.REPRESENTATIVE, False),
    ("OV-2000101", "initech.owner", MembershipRole.BILLING_CONTACT, True),
    ("OV-2000101", "initech.dev", MembershipRole.MEMBER, False),
]


@transaction.atomic
def load(progress=print) -> dict[str, int]:
    """Creates whatever is missing; running it again changes nothing."""
    created = {"accounts": 0, "users": 0, "memberships": 0}
    accounts = {}
    for spec in ACCOUNTS:
        account, made = Account.objects.get_or_create(number=spec["number"], defaults=spec)
        accounts[account.number] = account
        created["accounts"] += made
        progress(f"  account {account.number} {account.name}: {'created' if made else 'exists'}")
    users = {}
    for person in PEOPLE:
        user = User.objects.by_login_id(person.login).first()
        made = user is None
        if made:
            user = User(
                username=person.login,
                email=person.email,
                first_name=person.first,
                last_name=person.last,
                staff_role=person.staff_role,
                is_staff=person.is_admin,
                is_superuser=person.is_admin,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[person.login] = user
        created["users"] += made
        progress(f"  user {person.login}: {'created' if made else 'exists'}")
    for number, login, role, primary in MEMBERSHIPS:
        account, user = accounts[number], users[login]
        if Membership.objects.filter(account=account, user=user).exists():
            progress(f"  {login} on {number}: exists")
            continue
        services.membership_add(account=account, user=user, role=role, is_primary=primary)
        created["memberships"] += 1
        progress(f"  {login} on {number} as {role}: created")
    return created
