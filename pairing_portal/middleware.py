from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop

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
