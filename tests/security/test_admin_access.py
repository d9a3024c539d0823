import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "role", ["member_a", "contact_a", "contact_b", "rep_a", "rep_b", "deal_desk", "finance"]
)
def test_admin_is_closed_to_everyone_but_administrators(role, world, client):
    # Given a signed-in person who is not an administrator
    client.force_login(world.user(role), backend="contacts.backends.LoginIdBackend")
    # When they open the admin and an account's change page
    index = client.get(reverse("admin:index"))
    change = client.get(reverse("admin:contacts_account_change", args=[world.a.pk]))
    # Then they are sent to the admin sign-in, and see nothing
    assert index.status_code == 302 and "/admin/login/" in index["Location"]
    assert change.status_code == 302 and "/admin/login/" in change["Location"]


def test_administrator_reaches_the_admin(db, client):
    from tests.factories import staff

    admin = staff("administrator", is_staff=True, is_superuser=True)
    client.force_login(admin, backend="contacts.backends.LoginIdBackend")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:contacts_membership_add")).status_code == 200
