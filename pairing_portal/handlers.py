"""Error pages: JSON in the API's shape under /api/, the portal's own pages elsewhere."""

from django.http import JsonResponse
from django.views import defaults


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception):
    if _is_api(request):
        return JsonResponse(
            {"errors": [{"message": "The specified resource does not exist."}]}, status=404
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
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
