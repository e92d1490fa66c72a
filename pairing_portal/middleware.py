import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop

from pairing_portal.handlers import database_unreachable, unavailable

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Only the portal's own scripts, styles and images run: no inline code, nothing from elsewhere.

    (Django 5.2 has no CSP setting of its own; 6.0 does.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


# English in the API's JSON; pages show it translated.
BODY_TOO_LARGE = gettext_noop("What you sent is too large: at most %(size)s MB is accepted.")


def accepts_bodies_up_to(max_bytes: int):
    """Lets one view take a larger body than DATA_UPLOAD_MAX_MEMORY_SIZE (an upload page)."""

    def mark(view):
        view.max_body_bytes = max_bytes
        return view

    return mark


class RequestBodyLimitMiddleware:
    """A request whose Content-Length is over the cap is answered 413 before a byte of it is read
    (nor spooled to disk), whoever sends it. The cap is DATA_UPLOAD_MAX_MEMORY_SIZE, or the view's
    own (``accepts_bodies_up_to``). Under WSGI, Django reads no more than Content-Length, and
    nothing when it is missing, so the header is the whole story."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit = getattr(view_func, "max_body_bytes", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body at all
        if length <= limit:
            return None
        size = f"{limit / (1024 * 1024):.3g}"
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"errors": [{"message": BODY_TOO_LARGE % {"size": size}}]}, status=413
            )
        return render(
            request, "413.html", {"message": gettext(BODY_TOO_LARGE) % {"size": size}}, status=413
        )


_UNREACHABLE = "_database_unreachable"


def _note_database_unreachable(sender, request=None, **kwargs) -> None:
    # Sent by Django inside its handling of an uncaught exception, so that exception is current.
    if request is not None and database_unreachable(sys.exc_info()[1]):
        setattr(request, _UNREACHABLE, True)


got_request_exception.connect(_note_database_unreachable, dispatch_uid="database_unreachable")


class DatabaseUnavailableMiddleware:
    """A database out of reach (stopped, "too many clients", no pooled connection free in time)
    answers the 503 page, or the API's JSON 503, with Retry-After, also with DEBUG on.

    Django turns an exception into a response where it is raised, in a view or in any middleware,
    and with DEBUG on into its technical 500 page, before any middleware here could catch it; it
    first sends got_request_exception, which marks the request, and this middleware, outside the
    others, replaces the response of a marked request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _UNREACHABLE, False) and response.status_code != 503:
            return unavailable(request)
        return response
