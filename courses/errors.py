from django.utils.translation import gettext_noop as _

from accounts.errors import DomainError


class CourseError(DomainError):
    """A rule about courses or enrollments was broken; the message is for people."""

    OTHER_INSTITUTION = _("That person belongs to another institution than the course.")
    TOO_LONG = _("Course names and codes can be at most 255 characters long.")
