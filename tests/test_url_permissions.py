"""Every URL of the portal, with every persona: who gets in, who is refused, and how.

The table (tests/url_table.py) is the one permission matrix over all URLs (conventions §10). It lists each route
of ``get_resolver()`` (the Django admin excepted) with the status each persona must get, and a
companion test fails as soon as a route appears that the table does not cover. The API contract's
own matrix (§4.3) adds the cells this table's personas do not reach (CONTRACT). Objects of another
institution are checked separately: whoever asks from this institution, they never exist.

The personas and both institutions' objects are made once for the module; each cell runs in a
transaction of its own inside that, so whatever a cell changes is gone before the next.
"""

from dataclasses import replace

import pytest
from django.db import transaction

from accounts.models import User
from accounts.roles import Permission, Role
from accounts.services import api_token_create, role_permission_set
from tests.api.helpers import assert_unauthorized
from tests.url_matrix import (
    ARGUMENT,
    DEFAULT_ARGS,
    NOT_OBJECT_IDS,
    ROUTE_ARGS,
    Providers,
    World,
    assert_status,
    matrix_create,
    portal_routes,
    post_data,
    send,
    url_of,
)
from tests.url_table import PERSONAS, TABLE


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, oidc_provider, saml_metadata):
    """Everything the cells need, made once: each cell's own transaction (``db``) is a savepoint
    inside this one, which is rolled back once the module is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield matrix_create(Providers(oidc_issuer=oidc_provider, saml_metadata=saml_metadata))
        transaction.set_rollback(True)


@pytest.fixture
def personas(matrix, db) -> dict[str, User | None]:
    return matrix.personas


@pytest.fixture
def main(matrix, db) -> World:
    return replace(matrix.main)  # a cell may point it at another token


@pytest.fixture
def mirror(matrix, db) -> World:
    return replace(matrix.mirror)


def test_the_table_covers_every_url_pattern_of_the_portal():
    routes = list(portal_routes())
    assert len(routes) == len(set(routes)), "two patterns share a route; key the table otherwise"
    assert {route for _method, route, *_ in TABLE} == set(routes)
    assert {route for method, route, *_ in TABLE if method == "GET"} == set(routes)


def test_each_row_of_the_table_has_a_status_for_every_persona_and_appears_once():
    assert all(len(statuses) == len(PERSONAS) for _method, _route, *statuses in TABLE)
    cells = [(method, route) for method, route, *_ in TABLE]
    assert len(cells) == len(set(cells))


def test_every_argument_of_every_route_names_a_known_object():
    for route in portal_routes():
        for argument in ARGUMENT.findall(route):
            assert argument in {**DEFAULT_ARGS, **ROUTE_ARGS.get(route, {})}, (route, argument)


CELLS = [
    (method, route, persona, expected)
    for method, route, *statuses in TABLE
    for persona, expected in zip(PERSONAS, statuses, strict=True)
]


@pytest.mark.parametrize(
    ("method", "route", "persona", "expected"),
    CELLS,
    ids=[f"{method} /{route} {persona}" for method, route, persona, _ in CELLS],
)
def test_each_persona_gets_the_status_the_rules_give_on_each_url(
    client, personas, main, method, route, persona, expected
):
    user = personas[persona]
    if user is not None:
        main.token = api_token_create(user=user, purpose="permission matrix").record
        token = api_token_create(user=user, purpose="caller").token
    else:
        token = None
    url = url_of(route, dict.fromkeys(DEFAULT_ARGS, main))
    response = send(client, method, url, post_data(route, main), user, token)
    assert_status(response, expected, api=route.startswith("api/"), anonymous=user is None)


# Platform operators (superusers, of no institution) open every institution's admin pages with
# an admin's rights (accounts.access.get_institution_for_user lets them in, in one place), and
# have the list of institutions. Elsewhere they are no member of the institution: where they get
# another status than its admin, this says so.
OPERATOR_DIFFERS: dict[tuple[str, str], int | str] = {
    ("GET", "institutions"): 200,
    ("POST", "institutions"): 302,
    # They set institutions up; they do not act on its families: links, codes and exports stay
    # with the institution's own staff (their pages open; the services refuse, as to outsiders).
    ("POST", "accounts/<int:institution_id>/users/<int:user_id>/pairing_codes/revoke"): 403,
    ("POST", "accounts/<int:institution_id>/pairing_exports"): 200,  # the form, with the refusal
    ("POST", "accounts/<int:institution_id>/links/<int:link_id>/remove"): 404,
    # Courses, acting as someone, their own profile's links: they are no member of the institution.
    ("POST", "profile/observees"): 200,  # a code of another institution: "no such code"
    ("POST", "profile/observees/<int:link_id>/remove"): 404,
    ("POST", "users/<int:user_id>/act_as"): 404,
    **{
        (method, route): 404
        for method, route, *statuses in TABLE
        if route.startswith("courses/<int:course_id>") and statuses[-1] != 405
    },
    # The API: people and courses of an institution they are no member of do not exist for them.
    **{
        (method, route): 404
        for method, route, *statuses in TABLE
        if route.startswith(("api/v1/users/", "api/v1/courses/")) and statuses[-1] not in (405, 401)
    },
}
OPERATOR_CELLS = [
    (method, route, OPERATOR_DIFFERS.get((method, route), statuses[PERSONAS.index("admin")]))
    for method, route, *statuses in TABLE
]


def test_the_operators_exceptions_are_routes_of_the_table():
    assert set(OPERATOR_DIFFERS) <= {(method, route) for method, route, *_ in TABLE}


@pytest.mark.parametrize(
    ("method", "route", "expected"),
    OPERATOR_CELLS,
    ids=[f"{method} /{route}" for method, route, _ in OPERATOR_CELLS],
)
def test_platform_operators_get_what_the_rules_give_on_each_url(
    client, personas, main, method, route, expected
):
    operator = personas["operator"]
    main.token = api_token_create(user=operator, purpose="permission matrix").record
    token = api_token_create(user=operator, purpose="caller").token
    url = url_of(route, dict.fromkeys(DEFAULT_ARGS, main))
    response = send(client, method, url, post_data(route, main), operator, token)
    assert_status(response, expected, api=route.startswith("api/"), anonymous=False)


CODES = "api/v1/users/<user:user_ref>/observer_pairing_codes"
OBSERVEES = "api/v1/users/<user:user_ref>/observees"
OBSERVEE = "api/v1/users/<user:user_ref>/observees/<user:observee_id>"
OBSERVERS = "api/v1/users/<user:user_ref>/observers"
COURSES_OF = "api/v1/users/<user:user_ref>/courses"
FOR_TEACHER = {"user_ref": "teacher"}  # a code asked for a teacher, who is no student

# The API contract's permission matrix (§4.3), every cell that is not "n/a" or "—": (method,
# route, arguments other than the table's, persona, status). Beyond the table's personas: "other",
# someone at the institution with no enrollment, link or right, and "teacher_may_make_codes", the
# teacher where the institution lets teachers make codes.
CONTRACT = [
    ("POST", CODES, {}, "student", 200),
    ("POST", CODES, {}, "observer", 401),
    ("POST", CODES, {}, "teacher", 401),
    ("POST", CODES, {}, "teacher_may_make_codes", 200),
    ("POST", CODES, {}, "admin", 200),
    ("POST", CODES, {}, "other", 401),
    ("POST", CODES, FOR_TEACHER, "teacher", 401),
    ("POST", CODES, FOR_TEACHER, "teacher_may_make_codes", 401),
    ("POST", CODES, FOR_TEACHER, "admin", 401),
    ("POST", CODES, FOR_TEACHER, "other", 401),
    ("POST", OBSERVEES, {}, "observer", 200),
    ("GET", OBSERVEES, {}, "student", 401),
    ("GET", OBSERVEES, {}, "observer", 200),
    ("GET", OBSERVEES, {}, "admin", 200),
    ("GET", OBSERVEES, {}, "other", 401),
    ("GET", OBSERVEE, {}, "student", 401),
    ("GET", OBSERVEE, {}, "observer", 200),
    ("GET", OBSERVEE, {}, "admin", 200),
    ("GET", OBSERVEE, {}, "other", 401),
    ("PUT", OBSERVEE, {}, "observer", 401),
    ("PUT", OBSERVEE, {}, "admin", 200),
    ("PUT", OBSERVEE, {}, "other", 401),
    ("DELETE", OBSERVEE, {}, "observer", 200),
    ("DELETE", OBSERVEE, {}, "admin", 200),
    ("DELETE", OBSERVEE, {}, "other", 401),
    ("GET", OBSERVERS, {}, "student", 200),
    ("GET", OBSERVERS, {}, "admin", 200),
    ("GET", OBSERVERS, {}, "other", 401),
    ("GET", COURSES_OF, {}, "student", 200),
    ("GET", COURSES_OF, {}, "observer", 200),
    ("GET", COURSES_OF, {}, "admin", 200),
    ("GET", COURSES_OF, {}, "other", 401),
]


@pytest.mark.parametrize(
    ("method", "route", "args", "persona", "expected"),
    CONTRACT,
    ids=[
        f"{method} /{route} {persona}{' for a teacher' if args else ''}"
        for method, route, args, persona, _ in CONTRACT
    ],
)
def test_the_api_contracts_permission_matrix(
    client, personas, main, method, route, args, persona, expected
):
    user = personas[persona]
    if persona == "teacher_may_make_codes":
        role_permission_set(
            institution=main.institution,
            role=Role.TEACHER,
            permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
            enabled=True,
            by=personas["admin"],
        )
    token = api_token_create(user=user, purpose="caller").token
    url = url_of(route, dict.fromkeys(DEFAULT_ARGS, main), args)
    response = send(client, method, url, post_data(route, main), user, token)
    if expected == 401:
        assert_unauthorized(response)
    else:
        assert response.status_code == expected, response.content
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() not in ({}, [])


def test_the_contract_cells_are_routes_of_the_table():
    assert {route for _method, route, *_ in CONTRACT} <= {route for _method, route, *_ in TABLE}


def _object_arguments(route: str) -> list[str]:
    return [a for a in ARGUMENT.findall(route) if a not in NOT_OBJECT_IDS]


# Each route with an object id, in every method its view accepts (405 comes before any lookup).
FOREIGN = [
    (method, route, persona, swapped)
    for method, route, *statuses in TABLE
    if _object_arguments(route) and statuses[PERSONAS.index("admin")] != 405
    for persona, swapped in [
        *[(p, tuple(_object_arguments(route))) for p in ("student", "observer", "teacher", "admin")],
        # One id at a time too: a page of our institution must not reach into another.
        *[("admin", (one,)) for one in _object_arguments(route) if len(_object_arguments(route)) > 1],
    ]
]  # fmt: skip


def mirror_state(world: World) -> tuple:
    world.link.refresh_from_db()
    world.enrollment.refresh_from_db()
    world.token.refresh_from_db()
    world.institution.refresh_from_db()
    return (
        world.link.state,
        world.enrollment.state,
        world.token.revoked_at,
        world.institution.self_registration,
        User.objects.filter(institution=world.institution).count(),
    )


@pytest.mark.parametrize(
    ("method", "route", "persona", "swapped"),
    FOREIGN,
    ids=[f"{m} /{r} {p} {'+'.join(s)}" for m, r, p, s in FOREIGN],
)
def test_no_object_of_another_institution_is_ever_visible(
    client, personas, main, mirror, method, route, persona, swapped
):
    user = personas[persona]
    main.token = api_token_create(user=user, purpose="permission matrix").record
    token = api_token_create(user=user, purpose="caller").token
    before = mirror_state(mirror)
    worlds = {arg: mirror if arg in swapped else main for arg in DEFAULT_ARGS}
    data = post_data(route, mirror if len(swapped) > 1 else main)
    response = send(client, method, url_of(route, worlds), data, user, token)
    assert response.status_code == 404, response.content[:300]
    if route.startswith("api/"):
        assert response.json() == {
            "errors": [{"message": "The specified resource does not exist."}]
        }
    body = response.content.decode()
    assert mirror.student.name not in body
    assert mirror.course.name not in body
    assert mirror_state(mirror) == before
