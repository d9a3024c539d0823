import re
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


def validate_login_id(value: str) -> None:
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
