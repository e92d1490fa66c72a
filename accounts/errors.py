from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _


class DomainError(Exception):
    """A broken rule, with a message for people.

    ``message`` is the English text: what the API sends (in English whatever the browser asks),
    what code and tests compare with the constants. Pages show ``translated``, the same message in
    the language of the request, looked up when it is shown. (The constants are marked with
    gettext_noop: they stay plain strings, and makemessages still finds them.)
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def translated(self) -> str:
        return gettext(self.message)


class AccountError(DomainError):
    """A rule about users, institutions or permissions was broken; the message is for people."""

    EMAIL_TAKEN = _("An account with that e-mail address already exists.")
    SIS_ID_TAKEN = _("Another user at this institution already has that SIS ID.")
    NAME_REQUIRED = _("Please enter a name.")
    EMAIL_INVALID = _("Please enter a valid e-mail address: it is what people log in with.")
    TOO_LONG = _("Names and SIS IDs can be at most 255 characters long.")
    NAME_HAS_CONTROL_CHARACTERS = _("Names cannot contain line breaks or other control characters.")
    TIME_ZONE_INVALID = _("Please choose a time zone from the list.")
    PERMISSION_NOT_CONFIGURABLE = _("That permission cannot be changed for that role.")
    NOT_AN_ADMIN = _("Only an admin of this institution can change its settings.")
    TOKEN_PURPOSE_REQUIRED = _("Please say what the token is for.")
    TOKEN_EXPIRY_IN_PAST = _("The expiry date must be in the future.")
    NOT_YOUR_TOKEN = _("You can only revoke your own tokens.")
    ACT_AS_NOT_ALLOWED = _("You are not allowed to act as this user.")
    ACT_AS_SELF = _("You are already yourself.")
    ACT_AS_ADMIN = _("Admins cannot act as other admins.")
    CODE_LIFETIME_OUT_OF_RANGE = _("A pairing code can last from 1 to 30 days.")
    AUDIT_RETENTION_OUT_OF_RANGE = _(
        "The audit trail can be kept for 1 to 7 years, or without a limit."
    )
    CHANGE_ADMIN = _(
        "Admins and platform operators can only be changed by a platform operator, by hand."
    )
    CHANGE_NOT_ALLOWED = _("You are not allowed to change this user.")
    PERSONAL_DATA_NOT_ALLOWED = _(
        "Only an admin of this person's institution can download or delete their data."
    )
    DELETE_SELF = _("You cannot delete your own account here.")
    SIGN_UP_CLOSED = _(
        "This school does not let students and teachers make their own accounts. Please ask "
        "the school office for one."
    )
    DISPLAY_NAME_TOO_LONG = _("The display name can be at most 100 characters long.")
    LOGO_TOO_LARGE = _("The logo must be at most 512 KB: please save a smaller image.")
    LOGO_NOT_AN_IMAGE = _(
        "The logo must be a PNG or JPEG image. SVG files are refused, since they can carry "
        "scripts: please save the logo as PNG."
    )
    LOGO_TOO_WIDE = _("The logo can be at most 2000 pixels wide and high.")
    BRAND_COLOR_INVALID = _(
        "Please enter the colour as # and six hexadecimal digits, e.g. #0b5cad."
    )
    BRAND_COLOR_LOW_CONTRAST = _(
        "White text on that colour would be hard to read (a contrast of %(ratio)s:1; at least "
        "4.5:1 is needed). Please choose a darker colour."
    )
    NO_SUCH_USER = _("There is no such user to deactivate.")


class LowContrast(AccountError):
    """A brand colour that white text cannot be read on; ``ratio`` is its contrast with white."""

    def __init__(self, ratio: float) -> None:
        super().__init__(AccountError.BRAND_COLOR_LOW_CONTRAST % {"ratio": f"{ratio:.1f}"})
        self.ratio = ratio

    @property
    def translated(self) -> str:
        return gettext(AccountError.BRAND_COLOR_LOW_CONTRAST) % {"ratio": f"{self.ratio:.1f}"}


class AttemptsPaused(AccountError):
    """Too many attempts: every attempt is refused until ``until``. The message takes how long
    that is, in words, as ``%(wait)s`` (accounts.throttle.wait_in_words)."""

    LOGINS = _(
        "Too many failed log-ins. For your safety, logging in is paused; please try again %(wait)s."
    )
    PASSWORD_RESETS = _(
        "Too many password resets were asked for from your network; please try again %(wait)s."
    )
    SIGN_UPS = _(
        "Many accounts were made from your network today, so sign-up is paused here for now. "
        "Please try again %(wait)s, or ask the school office to make your account."
    )
    JOIN_CODES = _(
        "Too many wrong join codes were entered from your network. Please try again %(wait)s."
    )

    def __init__(self, message: str, *, until) -> None:
        super().__init__(message)
        self.until = until


class LoginProofRequired(AccountError):
    """The account has had many failed log-ins: this one needs a proof of work for ``purpose``."""

    MESSAGE = _(
        "This account has had many failed log-ins, so your browser is asked to do a moment's "
        "work to show it is not guessing. Please wait for the check below to finish, enter your "
        "password again and log in."
    )

    def __init__(self, *, purpose: str) -> None:
        super().__init__(self.MESSAGE)
        self.purpose = purpose


class PasswordRefused(AccountError):
    """The password policy (settings.AUTH_PASSWORD_VALIDATORS) refused a password. Its validators
    word each problem in the language of the request, so ``problems`` is shown as it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems

    @property
    def translated(self) -> str:
        return self.message


class SignInError(AccountError):
    """A rule about invitations, identity providers or setting up an institution was broken."""

    # Invitations
    HAS_PASSWORD = _(
        "This person already has a password: they can use “Forgot your password?” on the log-in "
        "page."
    )
    INACTIVE = _("This account is deactivated: reactivate it before inviting the person.")
    INVITE_ADMIN = _("Only a platform operator can invite an admin or a platform operator.")
    INVITE_NOT_ALLOWED = _("You can invite only the people of your own school or district.")
    NO_PORTAL_ADDRESS = _(
        "The portal does not know its own web address for the link: give the institution a "
        "domain, or set PORTAL_URL."
    )
    LINK_INVALID = _(
        "This invitation link does not work any more: it was used already, it is more than 7 days "
        "old, or a newer invitation replaced it. Ask your school office for a new one, or use "
        "“Forgot your password?” on the log-in page."
    )
    NOBODY_TO_INVITE = _(
        "Nobody there can be invited: everyone has signed in already, has a password, or is an "
        "admin."
    )
    FILE_UNREADABLE = _(
        "The file could not be read: please send a CSV file (such as users.csv) with a user_id, "
        "login_id or email column."
    )
    # Setting up an institution
    INSTITUTION_NAME_REQUIRED = _("Please enter the institution's name.")
    INSTITUTION_NAME_TAKEN = _("An institution of that name already exists.")
    DOMAIN_INVALID = _(
        "Please enter a host name such as portal.springfield.example, without https:// or a path."
    )
    DOMAIN_TAKEN = _("Another institution already uses that domain.")
    # Identity providers
    PROVIDER_NAME_REQUIRED = _("Please give the provider a name people will recognise.")
    PROVIDER_NAME_TAKEN = _("This institution already has a provider of that name.")
    PROVIDER_NAME_TOO_LONG = _("A provider's name can be at most 40 characters long.")
    ADDRESS_INVALID = _(
        "Please enter a full address starting with https:// (http:// only for this computer)."
    )
    ADDRESS_NOT_PUBLIC = _(
        "That address leads to this server, its private network or a reserved range, which the "
        "portal does not connect to. Please give the provider's public address."
    )
    CLIENT_REQUIRED = _("Please enter the client ID and the client secret the provider gave you.")
    TENANT_REQUIRED = _(
        "Please enter your Microsoft tenant ID (the Directory ID of your Microsoft Entra "
        "tenant): without it, any Microsoft account could sign in."
    )
    DISCOVERY_FAILED = _(
        "The portal could not read the provider's OpenID Connect configuration from that issuer "
        "address. Check the address (and that the provider is reachable), then try again."
    )
    METADATA_REQUIRED = _(
        "Please give the identity provider's metadata address, or paste its metadata XML."
    )
    METADATA_INVALID = _(
        "That is not SAML 2.0 identity provider metadata with a sign-in address and a signing "
        "certificate."
    )
    METADATA_UNREACHABLE = _(
        "The portal could not fetch the metadata from that address. Check it, or paste the "
        "metadata XML instead."
    )
    SSO_PRIVILEGED = _(
        "This is an administrator's account: administrators log in with their password, not "
        "through the school's sign-in."
    )
    SIS_ID_CLAIM_REQUIRED = _(
        "Please name the claim or attribute that carries the SIS ID, or match people by e-mail."
    )
