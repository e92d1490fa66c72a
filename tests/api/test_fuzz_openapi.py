"""Every operation of /api/v1/openapi.json, fuzzed by schemathesis against the portal in-process.

The callers are an admin of a seeded institution and a plain student of it, so that both the data
paths (the admin may read and change nearly everything) and the refusals (the student may not) run.
Whatever is sent, the portal never answers 5xx, and every error is Canvas's JSON error body.

Only these two rules are checked, not schemathesis's own conformance checks: the document marks
fields that are sent only on request (``avatar_url``, an enrollment's ``user``, a course's
``enrollments``) as required, and the API is lenient by design (Canvas ignores a bad ``per_page``),
so those checks would fail on answers that are right.
"""

import json
import zlib
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

from accounts.roles import Role
from accounts.services import api_token_create
from pairing.models import ObserverLinkSource
from pairing.services import course_observer_add, observer_link_create, pairing_code_create
from pairing_portal.wsgi import application
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

# The host Django's test environment always allows, whatever ALLOWED_HOSTS says on this machine.
BASE_URL = "http://testserver"


def served_document() -> dict:
    """The document /api/v1/openapi.json serves, built as its view builds it.

    Built at import (before pytest-django allows requests or queries) because schemathesis makes one
    test per operation at collection; the first test below proves it is the served document.
    """
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(served_document())


def test_the_fuzzed_document_is_the_one_the_portal_serves(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content) == schema.raw_schema


@dataclass(frozen=True)
class Targets:
    """Values worth aiming at, by parameter name: seeded records (of the caller's institution and of
    another one), a live pairing code, and page numbers from the first to far beyond the last."""

    by_parameter: dict[str, tuple]

    def aim(self, case) -> bool:
        """Point the case's parameters at targets, each chosen by the value generated for it."""
        aimed = False
        body = case.body if isinstance(case.body, dict) else {}
        for container in (case.path_parameters, case.query, body):
            for key, value in container.items():
                if pool := self.by_parameter.get(key):
                    container[key] = pool[zlib.crc32(repr(value).encode()) % len(pool)]
                    aimed = True
        return aimed


@pytest.fixture
def targets(institution, course, teacher, student, observer, admin, other_admin) -> Targets:
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    coach = UserFactory(institution=institution, name="Casey Coach")
    course_observer_add(course=course, observer=coach, student=student, by=admin)
    elsewhere = EnrollmentFactory(
        course=CourseFactory(institution=other_admin.institution), type=Role.STUDENT
    )
    users = (admin.pk, student.pk, observer.pk, teacher.pk, coach.pk, elsewhere.user_id)
    return Targets(
        by_parameter={
            "user_ref": ("self", *map(str, users)),
            "observee_id": users,
            "observer_id": users,
            "user_id": users,
            "enrollment[user_id]": users,
            "enrollment[associated_user_id]": users,
            "course_id": (course.pk, elsewhere.course_id),
            "enrollment_id": (*course.enrollments.values_list("pk", flat=True), elsewhere.pk),
            "account_id": (institution.pk, other_admin.institution_id),
            # Every request is rolled back, so one code can be redeemed by every example.
            "pairing_code": (pairing_code_create(student=student, by=student).code,),
            "page": (1, 2, 10**18),
        }
    )


@pytest.fixture(params=["admin", "student"])
def auth(request) -> dict:
    """A Bearer token of the admin, then of the student: nothing else is granted to either."""
    caller = request.getfixturevalue(request.param)
    return {"Authorization": f"Bearer {api_token_create(user=caller, purpose='fuzz').token}"}


@pytest.fixture
def send(auth):
    """Send a case to the real WSGI application, inside the test's transaction, from the seeded rows.

    Around each request Django closes "old" connections; inside the test's atomic block that would
    close the connection that holds the seeded rows (Django's test client skips it the same way).
    Each request is rolled back, and attempt counters cleared, so that every example starts from the
    same state: Hypothesis replays a failure exactly, and one failed query (which aborts PostgreSQL's
    transaction) cannot fail every request after it.
    """

    def call(case):
        savepoint = transaction.savepoint()
        try:
            return case.call(app=application, base_url=BASE_URL, headers=auth)
        finally:
            transaction.savepoint_rollback(savepoint)
            cache.clear()

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield call
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def assert_canvas_answer(case, response) -> None:
    body = f" body={case.body!r}" if isinstance(case.body, dict) else ""
    summary = (
        f"{case.method} {case.formatted_path} query={case.query!r}{body}"
        f" -> {response.status_code} {response.text[:300]}"
    )
    assert response.status_code < 500, summary
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/json"], summary
        body = response.json()
        assert isinstance(body, dict), summary
        assert isinstance(body.get("errors"), list), summary
        assert body["errors"], summary


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@schema.parametrize()
def test_no_request_gets_a_server_error_or_an_error_outside_canvas_json(case, targets, send):
    """Each case as generated (mostly unknown ids), then aimed at the targets."""
    assert_canvas_answer(case, send(case))
    if targets.aim(case):
        assert_canvas_answer(case, send(case))
