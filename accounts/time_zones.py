"""The time zones a user may choose: IANA names, as Python's zoneinfo knows them."""

from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from accounts.errors import AccountError


@cache
def time_zone_names() -> frozenset[str]:
    # Reading the zone database scans files: once per process is enough.
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()


def validate_time_zone(value: str) -> None:
    """For the model field (the Django admin); services check with ``is_time_zone``."""
    if value and not is_time_zone(value):
        raise ValidationError(gettext(AccountError.TIME_ZONE_INVALID), code="time_zone")
