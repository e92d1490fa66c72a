import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Institution, SelfRegistration, User
from accounts.names import short_name_for, sortable_name_for
from accounts.roles import Role
from courses.models import Course, CourseState, Enrollment, EnrollmentState

PASSWORD = "correct-horse-battery"
# Hashing is slow on purpose; tests share one hash (MD5 would hide a real hasher problem).
_PASSWORD_HASH = make_password(PASSWORD)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"School District {n}")
    self_registration = SelfRegistration.OBSERVER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Person{n:04d} Example")
    email = factory.Sequence(lambda n: f"person{n:04d}@example.test")
    sortable_name = factory.LazyAttribute(lambda o: sortable_name_for(o.name))
    short_name = factory.LazyAttribute(lambda o: short_name_for(o.name))
    password = _PASSWORD_HASH


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Course {n}")
    course_code = factory.Sequence(lambda n: f"C{n:03d}")
    state = CourseState.AVAILABLE


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    course = factory.SubFactory(CourseFactory)
    user = factory.SubFactory(
        UserFactory, institution=factory.SelfAttribute("..course.institution")
    )
    type = Role.STUDENT
    state = EnrollmentState.ACTIVE
