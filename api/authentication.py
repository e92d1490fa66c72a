from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.services import api_token_authenticate

INVALID_TOKEN = "Invalid access token."


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` with a personal access token (User Settings).

    First in the list, so a request that carries a token is never CSRF-checked, and a bad token is
    refused with 401 and ``WWW-Authenticate`` even when a session cookie rides along.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(INVALID_TOKEN)
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(INVALID_TOKEN) from None
        record = api_token_authenticate(raw)
        if record is None:
            raise AuthenticationFailed(INVALID_TOKEN)
        return (record.user, record)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="canvas-lms"'
