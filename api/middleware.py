from datetime import UTC

from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import timezone, translation

NUL_REFUSED = "Parameters may not contain NUL characters."


class RefuseNulBytesMiddleware:
    """PostgreSQL cannot store a NUL character in text, so an API path or query parameter holding
    one is a 400 here, before any view can pass it to the database. Bodies are never read here:
    that waits until the caller is known (api.parsers refuses NUL in them). Forms refuse them on
    their own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and self._has_nul(request):
            return JsonResponse({"errors": [{"message": NUL_REFUSED}]}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        return "\x00" in request.path or any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        )


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware for pages; the API speaks English and UTC whatever the browser
    asks or the user chose: its messages are a contract with Canvas clients, and its timestamps end
    in "Z". An API request skips the language negotiation (cookie, Accept-Language, the catalogue
    lookups) it would throw away, and accounts.middleware.UserTimeZoneMiddleware leaves it alone.
    (It stands where Django's would, in settings.MIDDLEWARE.)"""

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return super().__call__(request)
        translation.activate("en")
        request.LANGUAGE_CODE = "en"
        with timezone.override(UTC):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", "en")
        return response
