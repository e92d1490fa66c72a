"""Every paginated list route (R5, R9, R10, R11, R12, R14, R16) set up so its rows can grow.

Each scenario names a caller, a path with the filters a client would send, a way to add rows, and
the ids the contract says come back, in the contract's order: users by sortable name then id,
courses and enrollments by id.
"""

from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

from accounts.models import User
from accounts.roles import Role
from courses.models import Enrollment
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

# Names out of creation order, with a repeat, so that ordering by name then id is really tested.
NAMES = ["Zoe Zimmer", "Amy Adams", "Max Miller", "Amy Adams", "Bea Brown"]
_next_name = count()


def named_user(institution) -> User:
    return UserFactory(institution=institution, name=NAMES[next(_next_name) % len(NAMES)])


def by_name(users) -> list[int]:
    return [u.pk for u in sorted(users, key=lambda u: (u.sortable_name, u.pk))]


@dataclass
class ListScenario:
    caller: User
    path: str
    params: dict[str, list[str]]
    add_rows: Callable[[int], None]
    expected_ids: Callable[[], list[int]]


def observees(*, institution, course, teacher, admin) -> ListScenario:
    observer = UserFactory(institution=institution)
    students: list[User] = []

    def add(n):
        for _ in range(n):
            student = named_user(institution)
            EnrollmentFactory(course=course, user=student)
            observer_link_create(
                observer=observer, student=student, by=None, source=ObserverLinkSource.API
            )
            students.append(student)

    return ListScenario(
        observer,
        f"users/{observer.pk}/observees",
        {"include[]": ["avatar_url"]},
        add,
        lambda: by_name(students),
    )


def observers(*, institution, course, teacher, admin) -> ListScenario:
    student = EnrollmentFactory(course=course).user
    found: list[User] = []

    def add(n):
        for _ in range(n):
            observer = named_user(institution)
            observer_link_create(
                observer=observer, student=student, by=None, source=ObserverLinkSource.API
            )
            found.append(observer)

    return ListScenario(
        student,
        f"users/{student.pk}/observers",
        {"include[]": ["avatar_url"]},
        add,
        lambda: by_name(found),
    )


def _courses_of(user, institution) -> tuple[Callable[[int], None], Callable[[], list[int]]]:
    made = []

    def add(n):
        for _ in range(n):
            made.append(EnrollmentFactory(course=CourseFactory(institution=institution), user=user))

    return add, lambda: sorted(e.course_id for e in made)


def my_courses(*, institution, course, teacher, admin) -> ListScenario:
    user = UserFactory(institution=institution)
    add, expected = _courses_of(user, institution)
    return ListScenario(user, "courses", {}, add, expected)


def user_courses(*, institution, course, teacher, admin) -> ListScenario:
    user = UserFactory(institution=institution)
    add, expected = _courses_of(user, institution)
    return ListScenario(admin, f"users/{user.pk}/courses", {}, add, expected)


def user_enrollments(*, institution, course, teacher, admin) -> ListScenario:
    user = UserFactory(institution=institution)
    add, expected = _courses_of(user, institution)

    def expected_enrollments():
        return list(
            Enrollment.objects.filter(user=user, course_id__in=expected())
            .order_by("id")
            .values_list("id", flat=True)
        )

    return ListScenario(
        user,
        f"users/{user.pk}/enrollments",
        {"type[]": ["StudentEnrollment"], "state[]": ["active", "invited"]},
        add,
        expected_enrollments,
    )


def search_users(*, institution, course, teacher, admin) -> ListScenario:
    students: list[User] = []

    def add(n):
        for _ in range(n):
            student = named_user(institution)
            EnrollmentFactory(course=course, user=student)
            students.append(student)

    return ListScenario(
        teacher,
        f"courses/{course.pk}/search_users",
        {"enrollment_type[]": ["student"], "include[]": ["enrollments"]},
        add,
        lambda: by_name(students),
    )


def course_enrollments(*, institution, course, teacher, admin) -> ListScenario:
    def add(n):
        for _ in range(n):
            EnrollmentFactory(course=course, user=named_user(institution))

    return ListScenario(
        teacher,
        f"courses/{course.pk}/enrollments",
        {"type[]": ["StudentEnrollment"], "include[]": ["user"]},
        add,
        lambda: list(
            Enrollment.objects.filter(course=course, type=Role.STUDENT)
            .order_by("id")
            .values_list("id", flat=True)
        ),
    )


SCENARIOS = {
    "R5 observees": observees,
    "R9 observers": observers,
    "R10 courses": my_courses,
    "R11 user courses": user_courses,
    "R12 user enrollments": user_enrollments,
    "R14 search_users": search_users,
    "R16 course enrollments": course_enrollments,
}
