class PairingError(Exception):
    """A pairing rule was broken. The message is written for the parent, student or teacher."""

    # One message for unknown, expired, used and malformed codes alike: it must not tell which.
    INVALID_CODE = "Invalid pairing code"
    SELF_REGISTRATION_OFF = (
        "Pairing codes are switched off at this school: self registration is disabled."
    )
    NOT_A_STUDENT = "Pairing codes can only be made for students."
    NOT_ALLOWED = "You are not allowed to make pairing codes for this student."
    CANNOT_OBSERVE_SELF = "You can't observe yourself."
    OTHER_INSTITUTION = "That person belongs to another school or district."
    LINK_NOT_FOUND = "That link has already been removed."
    NOT_ALLOWED_TO_LINK = "You are not allowed to link observers in this course."
    NOT_ALLOWED_TO_LINK_BY_ID = "Only admins who manage observers can link people without a code."
    NOT_ALLOWED_TO_UNLINK = "You are not allowed to remove observers in this course."
    NOT_ALLOWED_TO_REMOVE_LINK = "You are not allowed to remove this link."
    STUDENT_NOT_IN_COURSE = "That student is not enrolled in this course."
    NOT_AN_OBSERVER_ENROLLMENT = "Only observers can be removed this way."
    OBSERVING_EACH_OTHER = "Two people cannot observe each other in the same course."
    OBSERVER_NOT_FOUND = "No one with that e-mail address has an account at this school."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
