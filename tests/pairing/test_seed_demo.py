import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import (
    AuditAction,
    AuditEvent,
    AuditSource,
    Institution,
    SelfRegistration,
    User,
)
from accounts.permissions import user_has_permission
from accounts.roles import Permission, Role
from courses.models import Course, Enrollment
from pairing.management.commands.seed_demo import DEMO_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def seed() -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def snapshot() -> tuple:
    return (
        Institution.objects.count(),
        sorted(User.objects.values_list("email", "name", "sis_user_id", "is_account_admin")),
        sorted(Course.objects.values_list("course_code", "name", "state")),
        sorted(
            Enrollment.objects.values_list("user__email", "course__course_code", "type", "state")
        ),
    )


def test_seed_demo_twice_gives_the_same_data():
    seed()
    first = snapshot()
    seed()
    assert snapshot() == first


def test_seed_demo_makes_the_people_the_readme_lists():
    output = seed()
    district = Institution.objects.get(name="Demo School District")
    assert district.self_registration == SelfRegistration.OBSERVER
    emails = set(User.objects.filter(institution=district).values_list("email", flat=True))
    expected = {"admin@demo.test", "teacher1@demo.test", "teacher2@demo.test", "observer@demo.test"}
    expected |= {f"student{n:02d}@demo.test" for n in range(1, 31)}
    assert emails == expected
    assert User.objects.get(email="admin@demo.test").is_account_admin
    assert DEMO_PASSWORD in output
    assert "admin@demo.test" in output


def test_every_demo_account_logs_in_with_the_demo_password(client):
    seed()
    for email in (
        "admin@demo.test",
        "teacher2@demo.test",
        "student17@demo.test",
        "observer@demo.test",
    ):
        assert client.login(username=email, password=DEMO_PASSWORD), email
        client.logout()


def test_every_student_is_in_a_course_and_student01_in_teacher1s_first_course():
    seed()
    students = User.objects.filter(email__startswith="student")
    assert all(s.enrollments.filter(type=Role.STUDENT).exists() for s in students)
    first_course = (
        Course.objects.filter(enrollments__user__email="teacher1@demo.test").order_by("pk").first()
    )
    assert first_course.enrollments.filter(
        user__email="student01@demo.test", type=Role.STUDENT
    ).exists()
    assert Course.objects.count() == 3


def test_the_observer_starts_with_no_enrollments():
    seed()
    assert not Enrollment.objects.filter(user__email="observer@demo.test").exists()


def test_demo_teachers_may_generate_pairing_codes():
    seed()
    teacher = User.objects.get(email="teacher1@demo.test")
    course = Course.objects.filter(enrollments__user=teacher).first()
    assert user_has_permission(teacher, Permission.GENERATE_OBSERVER_PAIRING_CODE, course=course)


@override_settings(DEBUG=False)
def test_seed_demo_refuses_to_run_in_production_unless_forced():
    with pytest.raises(CommandError, match="demo accounts with a published password"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_prints_a_ready_code_that_the_demo_observer_can_use():
    import re

    from pairing.services import pairing_code_redeem

    output = seed()
    code = re.search(r"Pairing code for Ava Adams \(student01@demo.test\): (\S{6})", output).group(
        1
    )
    observer = User.objects.get(email="observer@demo.test")
    link = pairing_code_redeem(code=code, observer=observer).link
    assert link.student.email == "student01@demo.test"
    assert observer.enrollments.filter(type=Role.OBSERVER).exists()


def test_seed_demo_brings_a_deactivated_demo_user_back_and_records_it():
    seed()
    User.objects.filter(email="student17@demo.test").update(is_active=False)

    seed()

    student = User.objects.get(email="student17@demo.test")
    assert student.is_active
    event = AuditEvent.objects.get(action=AuditAction.USER_REACTIVATED)
    assert (event.subject, event.actor, event.source) == (student, None, AuditSource.COMMAND)


def test_seed_demo_leaves_a_deactivated_demo_admin_to_an_operator():
    seed()
    User.objects.filter(email="admin@demo.test").update(is_active=False)

    with pytest.raises(CommandError, match="cannot reactivate an admin"):
        seed()

    assert not User.objects.get(email="admin@demo.test").is_active


def test_seed_demo_never_touches_an_account_of_another_institution():
    elsewhere = UserFactory(email="observer@demo.test", is_active=False)

    with pytest.raises(CommandError, match="observer@demo.test is the login of an account"):
        seed()

    elsewhere.refresh_from_db()
    assert (elsewhere.is_active, elsewhere.check_password(DEMO_PASSWORD)) == (False, False)
