from django.utils.translation import gettext_noop as _

from accounts.errors import DomainError


class PairingError(DomainError):
    """A pairing rule was broken. The message is written for the parent, student or teacher."""

    # One message for unknown, expired, used and malformed codes alike: it must not tell which.
    INVALID_CODE = _("Invalid pairing code")
    SELF_REGISTRATION_OFF = _(
        "Pairing codes are switched off at this school: self registration is disabled."
    )
    # Redemption while self-registration is None: the code is kept, and works again (until it
    # expires) once the school switches self-registration back on.
    REDEMPTION_OFF = _(
        "Your school has switched pairing codes off, so a code cannot link you to a student "
        "right now. Please contact the school office: your code is kept and works again if "
        "they switch pairing codes back on."
    )
    NOT_A_STUDENT = _("Pairing codes can only be made for students.")
    NOT_ALLOWED = _("You are not allowed to make pairing codes for this student.")
    NOT_ALLOWED_TO_EXPORT = _(
        "Only those who may make pairing codes for the whole school can export them."
    )
    EXPORT_NOT_READY = _("That export is not ready yet.")
    EXPORT_EXPIRED = _(
        "That export's file was deleted after a day, to keep the codes safe. Please make a new one."
    )
    CANNOT_OBSERVE_SELF = _("You can't observe yourself.")
    OTHER_INSTITUTION = _("That person belongs to another school or district.")
    LINK_NOT_FOUND = _("That link has already been removed.")
    NOT_ALLOWED_TO_LINK = _("You are not allowed to link observers in this course.")
    NOT_ALLOWED_TO_LINK_BY_ID = _(
        "Only admins who manage observers can link people without a code."
    )
    NOT_ALLOWED_TO_UNLINK = _("You are not allowed to remove observers in this course.")
    NOT_ALLOWED_TO_REMOVE_LINK = _("You are not allowed to remove this link.")
    STUDENT_NOT_IN_COURSE = _("That student is not enrolled in this course.")
    NOT_AN_OBSERVER_ENROLLMENT = _("Only observers can be removed this way.")
    OBSERVING_EACH_OTHER = _("Two people cannot observe each other in the same course.")
    OBSERVER_NOT_FOUND = _("No one with that e-mail address has an account at this school.")
