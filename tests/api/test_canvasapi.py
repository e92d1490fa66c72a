"""Every /api/v1 route of the contract, driven by the unmodified canvasapi client against a live server.

The server runs in another thread, so the data is committed (transactional_db) and these personas
replace the ``db``-based ones of tests/conftest.py for this module.
"""

import re
import threading
from datetime import UTC, datetime

import pytest
import requests
from canvasapi import Canvas
from canvasapi.account import Account
from canvasapi.exceptions import (
    BadRequest,
    InvalidAccessToken,
    ResourceDoesNotExist,
    Unauthorized,
    UnprocessableEntity,
)
from canvasapi.paginated_list import PaginatedList
from canvasapi.user import User as CanvasUser

from accounts.models import User
from accounts.roles import Permission, Role
from accounts.services import api_token_create, role_permission_set
from pairing.models import ObserverLink, ObserverLinkState
from pairing.services import pairing_code_redeem
from tests.factories import (
    PASSWORD,
    CourseFactory,
    EnrollmentFactory,
    InstitutionFactory,
    UserFactory,
)
from tests.jobs import run_due_jobs
from tests.pairing.helpers import new_code

pytestmark = [
    pytest.mark.slow,
    # The live server speaks plain HTTP; canvasapi warns about that on every client it builds.
    pytest.mark.filterwarnings("ignore:Canvas may respond unexpectedly:UserWarning"),
]


@pytest.fixture
def institution(transactional_db):
    return InstitutionFactory(name="Springfield Schools")  # self-registration "observer"


@pytest.fixture
def course(institution):
    return CourseFactory(institution=institution, name="Biology 101", course_code="BIO101")


@pytest.fixture
def admin(institution):
    return UserFactory(institution=institution, name="Avery Admin", is_account_admin=True)


@pytest.fixture
def teacher(course, admin):
    user = UserFactory(institution=course.institution, name="Terry Teacher")
    EnrollmentFactory(course=course, user=user, type=Role.TEACHER)
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    return user


@pytest.fixture
def student(course):
    user = UserFactory(institution=course.institution, name="Sam Student")
    EnrollmentFactory(course=course, user=user, type=Role.STUDENT)
    return user


@pytest.fixture
def second_student(course):
    user = UserFactory(institution=course.institution, name="Bea Brown")
    EnrollmentFactory(course=course, user=user, type=Role.STUDENT)
    return user


@pytest.fixture
def observer(institution):
    return UserFactory(institution=institution, name="Pat Parent")


@pytest.fixture
def canvas_with_token(live_server):
    clients = []
    threads_before = set(threading.enumerate())

    def make(token: str) -> Canvas:
        clients.append(Canvas(live_server.url, token))
        return clients[-1]

    yield make
    # Each kept-alive connection holds a server thread and its database session. Close them (the
    # session's close() leaves pooled sockets open under urllib3 2.8) and wait for those threads,
    # or the test database may still be in use when pytest-django drops it.
    for client in clients:
        pools = client._Canvas__requester._session.get_adapter(live_server.url).poolmanager.pools
        for key in list(pools.keys()):  # the container refuses plain iteration
            pools[key].close()
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=5)


@pytest.fixture
def canvas_for(canvas_with_token):
    return lambda user: canvas_with_token(api_token_create(user=user, purpose="canvasapi").token)


def pair(observer: User, student: User) -> None:
    pairing_code_redeem(code=new_code(student), observer=observer)


def observee_of(canvas: Canvas, student: User) -> CanvasUser:
    """The student as a linked observer's client sees them (R2 is for the user and admins only)."""
    me = canvas.get_current_user()
    return next(user for user in me.get_observees() if user.id == student.pk)


def observer_pairs(enrollments) -> set[tuple[int, int]]:
    return {(e.user_id, e.associated_user_id) for e in enrollments if e.type == Role.OBSERVER}


# --- R1, R2, profile -------------------------------------------------------------------------------


def test_get_current_user_returns_the_caller(canvas_for, observer):
    me = canvas_for(observer).get_current_user()
    assert (me.id, me.name, me.sortable_name, me.short_name) == (
        observer.pk,
        "Pat Parent",
        "Parent, Pat",
        "Pat Parent",  # Canvas's short_name defaults to the full name
    )


def test_an_invalid_token_raises_invalid_access_token(canvas_with_token, student):
    canvas = canvas_with_token("not-a-real-token")
    with pytest.raises(InvalidAccessToken):
        canvas.get_current_user()
    with pytest.raises(InvalidAccessToken):
        CanvasUser(canvas._Canvas__requester, {"id": student.pk}).create_pairing_code()


def test_get_user_reads_a_user_for_an_admin_and_refuses_a_student(
    canvas_for, admin, observer, student
):
    assert canvas_for(admin).get_user(observer.pk).id == observer.pk
    with pytest.raises(Unauthorized):
        canvas_for(student).get_user(observer.pk)


def test_get_profile_describes_the_user(canvas_for, observer):
    profile = canvas_for(observer).get_current_user().get_profile()
    assert profile["id"] == observer.pk
    assert profile["name"] == "Pat Parent"
    assert profile["login_id"] == observer.email


# --- R3 pairing codes ------------------------------------------------------------------------------


def assert_fresh_code(pairing_code, student: User) -> None:
    assert pairing_code.user_id == student.pk
    assert re.fullmatch(r"[A-Za-z0-9]{6}", pairing_code.code)
    assert pairing_code.workflow_state == "active"
    assert pairing_code.expires_at_date > datetime.now(UTC)


def test_a_student_makes_their_own_pairing_code(canvas_for, student):
    assert_fresh_code(canvas_for(student).get_current_user().create_pairing_code(), student)


def test_a_permitted_teacher_makes_a_code_for_their_student(canvas_for, teacher, course, student):
    roster_student = canvas_for(teacher).get_course(course.pk).get_user(student.pk)
    assert_fresh_code(roster_student.create_pairing_code(), student)


def test_an_admin_makes_a_code_for_a_student(canvas_for, admin, student):
    assert_fresh_code(canvas_for(admin).get_user(student.pk).create_pairing_code(), student)


def test_a_linked_observer_may_not_make_a_code_for_the_student(canvas_for, observer, student):
    pair(observer, student)
    with pytest.raises(Unauthorized):
        observee_of(canvas_for(observer), student).create_pairing_code()


def test_a_teacher_may_not_make_a_code_for_themself(canvas_for, teacher):
    with pytest.raises(Unauthorized):
        canvas_for(teacher).get_current_user().create_pairing_code()


# --- R4 redeeming, R5 to R9 observees and observers -----------------------------------------------


def test_add_observee_with_credentials_redeems_a_pairing_code(canvas_for, observer, student):
    code = new_code(student)
    observee = (
        canvas_for(observer).get_current_user().add_observee_with_credentials(pairing_code=code)
    )
    assert observee.id == student.pk
    assert ObserverLink.objects.filter(
        observer=observer, student=student, state=ObserverLinkState.ACTIVE
    ).exists()


def test_a_used_code_redeemed_again_by_another_observer_is_unprocessable(
    canvas_for, institution, observer, student
):
    code = new_code(student)
    canvas_for(observer).get_current_user().add_observee_with_credentials(pairing_code=code)
    second_parent = UserFactory(institution=institution, name="Kim Carer")
    with pytest.raises(UnprocessableEntity):
        canvas_for(second_parent).get_current_user().add_observee_with_credentials(
            pairing_code=code
        )
    assert not ObserverLink.objects.filter(observer=second_parent).exists()


def test_get_observees_and_show_observee_describe_the_linked_student(
    canvas_for, observer, student, second_student
):
    pair(observer, student)
    me = canvas_for(observer).get_current_user()
    assert [user.id for user in me.get_observees()] == [student.pk]
    shown = me.show_observee(student.pk)
    assert (shown.id, shown.name) == (student.pk, "Sam Student")
    with pytest.raises(ResourceDoesNotExist):
        me.show_observee(second_student.pk)


def test_an_admin_links_an_observer_by_id_with_add_observee(canvas_for, admin, observer, student):
    observee = canvas_for(admin).get_user(observer.pk).add_observee(student.pk)
    assert observee.id == student.pk
    assert ObserverLink.objects.filter(
        observer=observer, student=student, state=ObserverLinkState.ACTIVE
    ).exists()


def test_an_observer_may_not_link_themself_with_add_observee(canvas_for, observer, student):
    with pytest.raises(Unauthorized):
        canvas_for(observer).get_current_user().add_observee(student.pk)
    assert not ObserverLink.objects.filter(observer=observer).exists()


def test_remove_observee_returns_the_student_and_a_second_remove_is_not_found(
    canvas_for, observer, student
):
    pair(observer, student)
    me = canvas_for(observer).get_current_user()
    assert me.remove_observee(student.pk).id == student.pk
    with pytest.raises(ResourceDoesNotExist):
        me.remove_observee(student.pk)


def test_get_observers_lists_the_students_observers(canvas_for, observer, student):
    pair(observer, student)
    observers = canvas_for(student).get_current_user().get_observers()
    assert [user.id for user in observers] == [observer.pk]


# --- R10 to R12 a user's courses and enrollments ---------------------------------------------------


def test_a_linked_observer_sees_the_students_course(canvas_for, course, observer, student):
    pair(observer, student)
    canvas = canvas_for(observer)
    assert course.pk in [c.id for c in canvas.get_courses()]
    assert course.pk in [c.id for c in canvas.get_current_user().get_courses()]
    assert course.pk in [c.id for c in observee_of(canvas, student).get_courses()]


def test_after_unlinking_the_observer_may_not_list_the_students_courses(
    canvas_for, course, observer, student
):
    pair(observer, student)
    canvas = canvas_for(observer)
    # canvas.get_user(student.pk) is R2 and refused to observers, so keep the observee object.
    seen_student = observee_of(canvas, student)
    canvas.get_current_user().remove_observee(student.pk)
    with pytest.raises(Unauthorized):
        list(seen_student.get_courses())


def test_get_enrollments_lists_a_users_own_enrollments(canvas_for, course, observer, student):
    pair(observer, student)
    mine = list(canvas_for(student).get_current_user().get_enrollments())
    assert [(e.course_id, e.type) for e in mine] == [(course.pk, Role.STUDENT)]
    observing = canvas_for(observer).get_current_user().get_enrollments()
    assert observer_pairs(observing) == {(observer.pk, student.pk)}


# --- R13 to R18 a course, its users and enrollments -----------------------------------------------


def test_get_course_returns_the_course_to_its_teacher(canvas_for, teacher, course):
    fetched = canvas_for(teacher).get_course(course.pk)
    assert (fetched.id, fetched.name, fetched.course_code) == (course.pk, "Biology 101", "BIO101")


def test_course_get_users_filters_by_enrollment_type(
    canvas_for, teacher, course, student, second_student
):
    users = canvas_for(teacher).get_course(course.pk).get_users(enrollment_type=["student"])
    assert sorted(user.id for user in users) == sorted([student.pk, second_student.pk])


def test_course_get_user_reads_an_enrolled_user_only(
    canvas_for, teacher, course, student, observer
):
    fetched = canvas_for(teacher).get_course(course.pk)
    assert fetched.get_user(student.pk).id == student.pk
    with pytest.raises(ResourceDoesNotExist):
        fetched.get_user(observer.pk)


def test_course_get_enrollments_contains_the_linked_observer_enrollment(
    canvas_for, teacher, course, observer, student
):
    pair(observer, student)
    enrollments = list(
        canvas_for(teacher).get_course(course.pk).get_enrollments(type=["ObserverEnrollment"])
    )
    assert {e.type for e in enrollments} == {Role.OBSERVER}
    assert observer_pairs(enrollments) == {(observer.pk, student.pk)}


def test_enroll_user_adds_a_course_only_observer_that_deactivate_deletes(
    canvas_for, teacher, course, observer, student
):
    fetched = canvas_for(teacher).get_course(course.pk)
    enrollment = fetched.enroll_user(
        observer.pk,
        enrollment={
            "type": "ObserverEnrollment",
            "associated_user_id": student.pk,
            "enrollment_state": "active",
        },
    )
    assert (enrollment.type, enrollment.user_id, enrollment.associated_user_id) == (
        Role.OBSERVER,
        observer.pk,
        student.pk,
    )
    assert enrollment.course_id == course.pk
    assert not ObserverLink.objects.filter(observer=observer).exists()
    assert list(canvas_for(observer).get_current_user().get_observees()) == []

    ended = enrollment.deactivate("delete")
    assert (ended.id, ended.enrollment_state) == (enrollment.id, "deleted")
    assert observer_pairs(fetched.get_enrollments(type=["ObserverEnrollment"])) == set()


def test_link_then_unlink_adds_and_removes_the_observer_enrollment(
    canvas_for, teacher, course, observer, student
):
    roster = canvas_for(teacher).get_course(course.pk)
    canvas = canvas_for(observer)
    me = canvas.get_current_user()

    me.add_observee_with_credentials(pairing_code=new_code(student))
    assert observer_pairs(roster.get_enrollments(type=["ObserverEnrollment"])) == {
        (observer.pk, student.pk)
    }
    assert course.pk in [c.id for c in canvas.get_courses()]

    me.remove_observee(student.pk)
    assert observer_pairs(roster.get_enrollments(type=["ObserverEnrollment"])) == set()
    assert course.pk not in [c.id for c in canvas.get_courses()]


# --- Pagination ------------------------------------------------------------------------------------


@pytest.fixture
def three_observees(course, observer, student, second_student):
    third = UserFactory(institution=course.institution, name="Zed Adams")
    EnrollmentFactory(course=course, user=third, type=Role.STUDENT)
    for linked in (student, second_student, third):
        pair(observer, linked)
    return ["Adams, Zed", "Brown, Bea", "Student, Sam"]


def test_a_page_of_one_links_to_the_next_page_with_an_absolute_url(
    live_server, observer, three_observees
):
    token = api_token_create(user=observer, purpose="canvasapi").token
    response = requests.get(
        f"{live_server.url}/api/v1/users/{observer.pk}/observees?per_page=1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert [row["sortable_name"] for row in response.json()] == three_observees[:1]
    assert response.links["next"]["url"].startswith(f"{live_server.url}/api/v1/")


def test_canvasapi_follows_next_links_through_pages_of_one(canvas_for, observer, three_observees):
    canvas = canvas_for(observer)
    requester = canvas._Canvas__requester
    urls = []
    requester._session.hooks["response"].append(lambda response, **_: urls.append(response.url))

    # The client's own get_observees() always asks for per_page=100 (appendix B), so build the
    # list it would build, with one item a page.
    pages = PaginatedList(
        CanvasUser, requester, "GET", f"users/{observer.pk}/observees", per_page=1
    )
    assert [user.sortable_name for user in pages] == three_observees
    assert len(urls) == 3
    assert all("per_page=1" in url for url in urls)

    everyone = canvas.get_current_user().get_observees()
    assert [user.sortable_name for user in everyone] == three_observees


# --- Accounts --------------------------------------------------------------------------------------


def test_an_admin_creates_a_user_with_account_create_user(canvas_for, admin, institution):
    account = Account(canvas_for(admin)._Canvas__requester, {"id": institution.pk})
    created = account.create_user(
        pseudonym={"unique_id": "nia@example.test", "password": PASSWORD},
        user={"name": "Nia New"},
    )
    assert created.name == "Nia New"
    assert User.objects.get(pk=created.id).email == "nia@example.test"


# --- SIS imports, as a district's scripts run them (more in test_sis_imports_api.py) -----------------


def test_a_script_imports_users_csv_polls_it_and_finds_people_by_sis_id(
    job_queue, canvas_for, admin, institution, course, tmp_path
):
    course.sis_course_id = "BIO-2026"
    course.save(update_fields=["sis_course_id"])
    path = tmp_path / "users.csv"
    path.write_text(
        "user_id,login_id,first_name,last_name,email,status\n"
        "S1001,sam.sis@example.test,Sam,Sis,,active\n"
        "X1,not-an-address,No,Login,,active\n"
    )
    canvas = canvas_for(admin)
    account = canvas.get_account(institution.pk)
    assert (account.name, account.root_account_id, account.workflow_state) == (
        "Springfield Schools",
        None,
        "active",
    )

    started = account.create_sis_import(
        str(path), import_type="instructure_csv", extension="csv", override_sis_stickiness=True
    )
    assert (started.workflow_state, started.progress) == ("created", 0)
    run_due_jobs()  # the background worker
    done = account.get_sis_import(started)

    assert (done.id, done.workflow_state, done.progress) == (
        started.id,
        "imported_with_messages",
        100,
    )
    assert done.data["counts"]["users"] == 1
    assert done.processing_warnings == [
        [
            "users.csv",
            'Row 3: The login_id "not-an-address" of user X1 is not an e-mail address, and no '
            "email is given",
        ]
    ]
    assert [i.id for i in account.get_sis_imports()] == [started.id]
    assert canvas.get_user("S1001", "sis_user_id").name == "Sam Sis"
    assert canvas.get_course("BIO-2026", use_sis_id=True).id == course.pk
    with pytest.raises(BadRequest):  # not built here, and said so
        account.create_sis_import(str(path), batch_mode=True, batch_mode_term_id="T1")
