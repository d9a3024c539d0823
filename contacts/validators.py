import re
import unicodedata
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# A user-name-format User ID: letters, digits, dot, dash, underscore; starts and ends with a
# letter or digit (e.g. "acme.ap"). The e-mail-address format is checked by Django's validator.
_USERNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,148}[A-Za-z0-9])$")

LOGIN_ID_HELP = (
    "Your billing User ID is in user-name format (for example acme.ap) or e-mail-address format "
    "(for example ap@acme.example). It is located on your emailed invoice."
)
LOGIN_ID_FORMAT_MESSAGE = (
    "Enter your User ID in user-name format (for example acme.ap) or e-mail-address format "
    "(for example ap@acme.example)."
)


def normalise_login_id(value: str) -> str:
    """The one form of a login ID that is stored, looked up (exactly) and throttled.

    NFKC turns compatibility look-alikes (fullwidth letters, the Kelvin sign) into the letters they
    stand for, and casefold makes case irrelevant; both run in Python, so every database and
    django-axes see the same key. SQL ``iexact`` cannot be trusted for this: PostgreSQL folds the
    dotless ``ı`` to ``I`` while Python's ``lower()`` keeps it, which made ``bıllıng@…`` a fresh
    lockout bucket that still signed in as ``billing@…``. NFKC runs again after folding because
    folding can leave a string unnormalised (``İ`` becomes ``i`` + a combining dot).
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value.strip()).casefold())


def validate_login_id(value: str) -> None:
    """Checks the normal form, which is what is stored. Both formats are ASCII there: a letter
    that merely looks like an ASCII one (``ı``, Cyrillic ``а``) would make a second ID that reads
    like an existing one."""
    value = normalise_login_id(value)
    if not value.isascii():
        raise ValidationError(LOGIN_ID_FORMAT_MESSAGE, code="login_id_format")
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(LOGIN_ID_FORMAT_MESSAGE, code="login_id_format") from None
        return
    if not _USERNAME_RE.match(value):
        raise ValidationError(LOGIN_ID_FORMAT_MESSAGE, code="login_id_format")


def validate_account_number(value: str) -> None:
    if not re.fullmatch(r"OV-\d{7}", value):
        raise ValidationError("An account number looks like OV-1002345.", code="account_number")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.", code="time_zone")
