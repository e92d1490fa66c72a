"""API personas on top of tests/conftest.py: a caller with a token, an unrelated insider, a link."""

import pytest

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from tests import personas
from tests.api.helpers import Api
from tests.api.list_scenarios import SCENARIOS, ListScenario


@pytest.fixture
def api_as(client):
    """``api_as(user).get("users/self")``: Django's client with a fresh Bearer token for ``user``."""
    return lambda user: Api(client, user)


@pytest.fixture
def other(institution):
    """Someone at the same institution with no enrollment, link or admin right."""
    return personas.make_other(institution)


@pytest.fixture
def teacher_may_make_codes(institution, teacher, admin):
    role_permission_set(
        institution=institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    return teacher


@pytest.fixture
def link(observer, student):
    """The observer observes the student across the institution (as after R4)."""
    return observer_link_create(
        observer=observer, student=student, by=observer, source=ObserverLinkSource.PAIRING_CODE
    )


@pytest.fixture(params=list(SCENARIOS))
def list_scenario(request, institution, course, teacher, admin) -> ListScenario:
    """Each paginated list route in turn, with no rows yet."""
    return SCENARIOS[request.param](
        institution=institution, course=course, teacher=teacher, admin=admin
    )
