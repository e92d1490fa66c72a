class AccountError(Exception):
    """A rule about users, institutions or permissions was broken; the message is for people."""

    EMAIL_TAKEN = "An account with that e-mail address already exists."
    SIS_ID_TAKEN = "Another user at this institution already has that SIS ID."
    NAME_REQUIRED = "Please enter a name."
    EMAIL_INVALID = "Please enter a valid e-mail address: it is what people log in with."
    TOO_LONG = "Names and SIS IDs can be at most 255 characters long."
    PERMISSION_NOT_CONFIGURABLE = "That permission cannot be changed for that role."
    NOT_AN_ADMIN = "Only an admin of this institution can change its settings."
    TOKEN_PURPOSE_REQUIRED = "Please say what the token is for."
    TOKEN_EXPIRY_IN_PAST = "The expiry date must be in the future."
    NOT_YOUR_TOKEN = "You can only revoke your own tokens."
    ACT_AS_NOT_ALLOWED = "You are not allowed to act as this user."
    ACT_AS_SELF = "You are already yourself."
    ACT_AS_ADMIN = "Admins cannot act as other admins."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
