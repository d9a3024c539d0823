import factory

from contacts import services
from contacts.models import Account, AccountKind, MembershipRole, StaffRole, User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}.billing")
    email = factory.LazyAttribute(lambda o: f"{o.username.replace('@', '.')}@mail.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    number = factory.Sequence(lambda n: f"OV-{3000000 + n:07d}")
    name = factory.Sequence(lambda n: f"Customer {n} Inc.")
    kind = AccountKind.CORPORATE
    currency = "USD"
    time_zone = "America/New_York"
    billing_address = "1 Main Street\nSpringfield"


def billing_contact(account, *, primary=False, **user_kwargs) -> User:
    user = UserFactory(**user_kwargs)
    services.membership_add(
        account=account, user=user, role=MembershipRole.BILLING_CONTACT, is_primary=primary
    )
    return user


def member(account, **user_kwargs) -> User:
    user = UserFactory(**user_kwargs)
    services.membership_add(account=account, user=user, role=MembershipRole.MEMBER)
    return user


def representative(*accounts, **user_kwargs) -> User:
    user = UserFactory(staff_role=StaffRole.REPRESENTATIVE, **user_kwargs)
    for account in accounts:
        services.membership_add(account=account, user=user, role=MembershipRole.REPRESENTATIVE)
    return user


def staff(role: str, **user_kwargs) -> User:
    return UserFactory(staff_role=role, **user_kwargs)
