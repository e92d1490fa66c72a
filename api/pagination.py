"""Canvas-style pages: a bare JSON array, and an RFC 8288 ``Link`` header with absolute URLs."""

from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework.response import Response

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
# Far past any real list; beyond it the offset would overflow PostgreSQL's bigint.
MAX_PAGE = 1_000_000


def _positive_int(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value > 0 else default


def paginated_response(request, queryset: QuerySet, serialize) -> Response:
    """One page of ``queryset`` (already in a stable order) as ``serialize(items)``, with Links.

    canvasapi sends ``per_page=100`` after any ``per_page`` of the caller's; QueryDict.get takes the
    last, as Canvas does. The next URL carries every other parameter of the request, unchanged.
    """
    per_page = min(
        _positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE
    )
    page = _positive_int(request.query_params.get("page"), 1)
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1]) if page <= MAX_PAGE else []
    has_next = len(rows) > per_page
    items = rows[:per_page]

    def url(number: int) -> str:
        params: QueryDict = request.query_params.copy()
        params.setlist("per_page", [str(per_page)])
        params.setlist("page", [str(number)])
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    links = [f'<{url(page)}>; rel="current"', f'<{url(1)}>; rel="first"']
    if page > 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if has_next:
        links.append(f'<{url(page + 1)}>; rel="next"')
    return Response(serialize(items), headers={"Link": ", ".join(links)})
