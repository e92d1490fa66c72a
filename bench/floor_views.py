"""The framework floor: the least a Django + DRF request of each kind can cost here (bench/run.py).

The same gunicorn, settings, middleware and Bearer token authentication as the portal, but the
view runs only the request's essential statements (bench/floor_sql.py) and answers with a small
JSON body or page. Mounted only by bench/floor_urls.py, never in the portal's URLs.
"""

import secrets

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.template import engines
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.floor_sql import GENERATE, PEOPLE, REDEEM
from pairing.code_format import code_hash, code_normalize


class FloorRedeemView(APIView):
    """POST pairing_code: the code spent, the link made, the observer enrolled."""

    def post(self, request):
        normalized = code_normalize(request.data.get("pairing_code") or "")
        if normalized is None:
            raise ValidationError("pairing_code")
        observer = request.user.pk
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(REDEEM[0], [observer, code_hash(normalized)])
            row = cursor.fetchone()
            if row is None:
                raise Http404
            student, institution = row
            cursor.execute(REDEEM[1], [observer, student, institution])
            cursor.execute(REDEEM[2], [observer, student])
        return Response({"id": student, "observation_link_root_account_ids": [institution]})


class FloorGenerateView(APIView):
    """POST for a student: a code made and stored (its hash), the code answered."""

    def post(self, request, student_id: int):
        code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(GENERATE[0], [student_id, request.user.institution_id])
            if cursor.fetchone() is None:
                raise Http404
            cursor.execute(GENERATE[1], [student_id, code_hash(code), request.user.pk])
            _id, expires_at = cursor.fetchone()
        return Response({"user_id": student_id, "code": code, "expires_at": expires_at})


_PAGE = engines["django"].from_string(
    "<!doctype html><title>{{ course }}</title><h1>{{ course }}: {{ count }}</h1><table>"
    "{% for name, sortable, role in rows %}<tr><td>{{ name }}</td><td>{{ sortable }}</td>"
    "<td>{{ role }}</td></tr>{% endfor %}</table>"
)


@login_required
def floor_people(request, course_id: int):
    """The first page of a course's roster, for a member of the course (session sign-in)."""
    with connection.cursor() as cursor:
        cursor.execute(PEOPLE[0], [course_id, request.user.pk])
        course = cursor.fetchone()
        if course is None:
            raise Http404
        cursor.execute(PEOPLE[1], [course_id])
        (count,) = cursor.fetchone()
        cursor.execute(PEOPLE[2], [course_id])
        rows = cursor.fetchall()
    return HttpResponse(_PAGE.render({"course": course[1], "count": count, "rows": rows}))
