from django.utils.translation import gettext_noop as _

from accounts.errors import DomainError


class CourseError(DomainError):
    """A rule about courses or enrollments was broken; the message is for people."""

    OTHER_INSTITUTION = _("That person belongs to another institution than the course.")
    INVALID_JOIN_CODE = _(
        "That join code does not match a course open for students to join. Please check it "
        "with your teacher."
    )
    NOT_ALLOWED_TO_CHANGE = _("Only the course's teachers and the school's admins can do that.")
    COURSE_CLOSED = _("A concluded or deleted course cannot be opened for students to join.")
    TOO_LONG = _("Course names and codes can be at most 255 characters long.")
