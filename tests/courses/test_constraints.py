"""Each rule the database holds for courses and enrollments."""

from accounts.roles import Role
from courses.models import Course, Enrollment, EnrollmentState
from tests.db import refused_by
from tests.factories import CourseFactory, EnrollmentFactory, InstitutionFactory


def test_only_an_observer_enrollment_may_name_an_observed_student(course, student, teacher):
    with refused_by("enrollment_associated_user_only_for_observers"):
        Enrollment.objects.create(
            course=course, user=teacher, type=Role.TEACHER, associated_user=student
        )


def test_an_observer_enrollment_may_name_the_student_it_observes(course, student, observer):
    enrollment = Enrollment.objects.create(
        course=course, user=observer, type=Role.OBSERVER, associated_user=student
    )
    assert enrollment.associated_user == student


def test_nobody_observes_themself(course, student):
    with refused_by("enrollment_cannot_observe_self"):
        Enrollment.objects.create(
            course=course, user=student, type=Role.OBSERVER, associated_user=student
        )


def test_an_enrollment_type_must_be_a_course_role(course, student):
    with refused_by("enrollment_type_valid"):
        Enrollment.objects.create(course=course, user=student, type=Role.ACCOUNT_ADMIN)


def test_an_enrollment_state_must_be_known(course, observer):
    with refused_by("enrollment_state_valid"):
        Enrollment.objects.create(course=course, user=observer, type=Role.STUDENT, state="pending")


def test_a_user_holds_a_role_in_a_course_once(course, student):
    with refused_by("enrollment_unique"):
        Enrollment.objects.create(course=course, user=student, type=Role.STUDENT)


def test_a_course_wide_observer_enrollment_is_unique_too(course, observer):
    # associated_user is NULL on both rows: NULLS NOT DISTINCT makes them collide.
    Enrollment.objects.create(course=course, user=observer, type=Role.OBSERVER)
    with refused_by("enrollment_unique"):
        Enrollment.objects.create(course=course, user=observer, type=Role.OBSERVER)


def test_an_observer_may_observe_two_students_in_one_course(course, student, observer):
    other = EnrollmentFactory(course=course).user
    for observed in (student, other):
        Enrollment.objects.create(
            course=course, user=observer, type=Role.OBSERVER, associated_user=observed
        )
    assert observer.enrollments.count() == 2


def test_a_student_may_also_teach_another_course(course, student):
    other_course = CourseFactory(institution=course.institution)
    EnrollmentFactory(course=other_course, user=student, type=Role.TEACHER)
    assert set(student.enrollments.values_list("type", flat=True)) == {Role.STUDENT, Role.TEACHER}


def test_an_ended_enrollment_keeps_its_row(course, student):
    enrollment = student.enrollments.get()
    enrollment.state = EnrollmentState.DELETED
    enrollment.save()
    with refused_by("enrollment_unique"):
        Enrollment.objects.create(course=course, user=student, type=Role.STUDENT)


def test_course_sis_id_is_unique_within_an_institution(institution):
    CourseFactory(institution=institution, sis_course_id="BIO-2026")
    CourseFactory(institution=InstitutionFactory(), sis_course_id="BIO-2026")
    with refused_by("course_sis_id_unique_in_institution"):
        CourseFactory(institution=institution, sis_course_id="BIO-2026")


def test_a_course_state_must_be_known(institution):
    with refused_by("course_state_valid"):
        Course.objects.create(institution=institution, name="X", course_code="X", state="open")


def test_a_course_needs_a_name_and_a_code(institution):
    with refused_by("course_name_not_empty"):
        Course.objects.create(institution=institution, name="", course_code="X")
    with refused_by("course_code_not_empty"):
        Course.objects.create(institution=institution, name="X", course_code="")


def test_an_empty_course_sis_id_is_refused(institution):
    with refused_by("course_sis_id_null_not_empty"):
        CourseFactory(institution=institution, sis_course_id="")
