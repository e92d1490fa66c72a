"""Error pages: JSON in the API's shape under /api/, the portal's own pages elsewhere.

A lost database is not a bug in the portal: while PostgreSQL is away, people get a 503 that says
so and to try again shortly, and the next request after it is back works without a restart
(Django reconnects; a pooled or kept connection that died meanwhile is checked and replaced).
"""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from django.views import defaults

# English in the API's JSON; pages show it translated.
UNAVAILABLE = gettext_noop("The portal is temporarily unavailable. Please try again in a minute.")
RETRY_AFTER_SECONDS = "30"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception):
    if _is_api(request):
        return JsonResponse(
            {"errors": [{"message": "The specified resource does not exist."}]}, status=404
        )
    return defaults.page_not_found(request, exception)


def database_unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is the database being out of reach: stopped, full
    ("too many clients"), no pooled connection free in time, or a connection lost mid-request."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError) or (
            isinstance(error, DatabaseError) and "connection" in str(error).lower()
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def unavailable(request) -> HttpResponse:
    """The 503 that says to try again shortly: JSON under /api/, the portal's page elsewhere."""
    if _is_api(request):
        response = JsonResponse({"errors": [{"message": UNAVAILABLE}]}, status=503)
    else:
        response = render(request, "503.html", {"message": gettext(UNAVAILABLE)}, status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def server_error(request):
    if database_unreachable(sys.exc_info()[1]):
        return unavailable(request)
    if _is_api(request):
        return JsonResponse({"errors": [{"message": "An internal error occurred."}]}, status=500)
    return defaults.server_error(request)


def bad_request(request, exception):
    if _is_api(request):
        return JsonResponse({"errors": [{"message": "Bad request."}]}, status=400)
    return defaults.bad_request(request, exception)


def forbidden(request, exception):
    if _is_api(request):
        return JsonResponse({"errors": [{"message": "Forbidden."}]}, status=403)
    return defaults.permission_denied(request, exception)
