"""The contract's permission matrix (§4.3), one row per cell: who may call which route."""

import pytest

from tests.api.helpers import assert_unauthorized
from tests.pairing.helpers import new_code

CODE_FOR_STUDENT = ("post", "users/{student}/observer_pairing_codes")
CODE_FOR_TEACHER = ("post", "users/{teacher}/observer_pairing_codes")
REDEEM = ("post_form", "users/{observer}/observees")
OBSERVEES = ("get", "users/{observer}/observees")
OBSERVEE = ("get", "users/{observer}/observees/{student}")
LINK = ("put", "users/{observer}/observees/{student}")
UNLINK = ("delete", "users/{observer}/observees/{student}")
OBSERVERS = ("get", "users/{student}/observers")
STUDENT_COURSES = ("get", "users/{student}/courses")

# (route, caller, expected status). Every cell of §4.3 that is not "n/a" or "—".
MATRIX = [
    (CODE_FOR_STUDENT, "student", 200),
    (CODE_FOR_STUDENT, "observer", 401),
    (CODE_FOR_STUDENT, "teacher", 401),
    (CODE_FOR_STUDENT, "teacher_may_make_codes", 200),
    (CODE_FOR_STUDENT, "admin", 200),
    (CODE_FOR_STUDENT, "other", 401),
    (CODE_FOR_TEACHER, "teacher", 401),
    (CODE_FOR_TEACHER, "teacher_may_make_codes", 401),
    (CODE_FOR_TEACHER, "admin", 401),
    (CODE_FOR_TEACHER, "other", 401),
    (REDEEM, "observer", 200),
    (OBSERVEES, "student", 401),
    (OBSERVEES, "observer", 200),
    (OBSERVEES, "admin", 200),
    (OBSERVEES, "other", 401),
    (OBSERVEE, "student", 401),
    (OBSERVEE, "observer", 200),
    (OBSERVEE, "admin", 200),
    (OBSERVEE, "other", 401),
    (LINK, "observer", 401),
    (LINK, "admin", 200),
    (LINK, "other", 401),
    (UNLINK, "observer", 200),
    (UNLINK, "admin", 200),
    (UNLINK, "other", 401),
    (OBSERVERS, "student", 200),
    (OBSERVERS, "admin", 200),
    (OBSERVERS, "other", 401),
    (STUDENT_COURSES, "student", 200),
    (STUDENT_COURSES, "observer", 200),
    (STUDENT_COURSES, "admin", 200),
    (STUDENT_COURSES, "other", 401),
]


@pytest.mark.parametrize(
    ("route", "caller", "status"),
    MATRIX,
    ids=[f"{path.split('/', 2)[-1]}-{method}-{caller}" for (method, path), caller, _ in MATRIX],
)
def test_the_permission_matrix(api_as, request, teacher, student, observer, route, caller, status):
    method, template = route
    if route == REDEEM:
        body = f"pairing_code={new_code(student)}"
    else:
        request.getfixturevalue("link")  # every other cell is about a linked observer
        body = ""
    path = template.format(student=student.pk, teacher=teacher.pk, observer=observer.pk)
    api = api_as(request.getfixturevalue(caller))
    response = getattr(api, method)(path, body) if method != "get" else api.get(path)
    if status == 401:
        assert_unauthorized(response)
    else:
        assert response.status_code == status, response.content
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() not in ({}, [])
