"""Demo data to log in with: one district, its admin, two teachers, three courses, 30 students."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.errors import AccountError
from accounts.models import Institution, SelfRegistration, User
from accounts.roles import Permission, Role
from accounts.services import (
    institution_create,
    institution_self_registration_set,
    role_permission_set,
    user_create,
    user_login_set,
)
from courses.models import Course, CourseState, EnrollmentState
from courses.services import course_create
from pairing.services import enrollment_upsert, pairing_code_create

DEMO_INSTITUTION = "Demo School District"
DEMO_PASSWORD = "pairing-demo-2026"  # published on purpose; refused in production

FIRST_NAMES = [
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabe", "Hana", "Isaac", "Jada",
    "Kenji", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tess",
    "Uma", "Victor", "Wren", "Xavier", "Yara", "Zane", "Amir", "Bella", "Caleb", "Dina",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Johnson",
    "Kim", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Singh", "Turner",
    "Ueda", "Vargas", "Walsh", "Xu", "Young", "Zimmer", "Ahmed", "Baker", "Costa", "Dubois",
]  # fmt: skip

# (course code, name, teacher's e-mail, student numbers): every student is in at least one course,
# student01 in teacher1's first course.
COURSES = [
    ("BIO101", "Biology 101", "teacher1@demo.test", range(1, 16)),
    ("ALG1", "Algebra I", "teacher1@demo.test", range(10, 23)),
    ("HIST9", "World History", "teacher2@demo.test", range(18, 31)),
]


class Command(BaseCommand):
    help = "Create or refresh the demo institution, its people and courses (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Demo accounts share a published password: never in production.",
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like production; demo accounts with a published "
                "password do not belong there. Use --force if this really is a demo server."
            )
        with transaction.atomic():
            institution = self._institution()
            # One hash for every demo account: hashing is deliberately slow, and these share a password.
            password_hash = make_password(DEMO_PASSWORD)
            admin = self._user(
                institution, "admin@demo.test", "Avery Admin", password_hash, admin=True
            )
            teachers = {
                "teacher1@demo.test": self._user(
                    institution, "teacher1@demo.test", "Jordan Rivera", password_hash
                ),
                "teacher2@demo.test": self._user(
                    institution, "teacher2@demo.test", "Morgan Lee", password_hash
                ),
            }
            students = [
                self._user(
                    institution,
                    f"student{number:02d}@demo.test",
                    f"{FIRST_NAMES[number - 1]} {LAST_NAMES[number - 1]}",
                    password_hash,
                    sis_user_id=f"S{number:04d}",
                )
                for number in range(1, 31)
            ]
            observer = self._user(institution, "observer@demo.test", "Pat Parent", password_hash)
            for code, name, teacher_email, numbers in COURSES:
                course = self._course(institution, code, name)
                enrollment_upsert(course=course, user=teachers[teacher_email], type=Role.TEACHER)
                for number in numbers:
                    enrollment_upsert(
                        course=course,
                        user=students[number - 1],
                        type=Role.STUDENT,
                        state=EnrollmentState.ACTIVE,
                    )
            # A code to try the observer journey with straight away (a new one on every run).
            ready = pairing_code_create(student=students[0], by=None)
        self._print_logins(admin, teachers, students, observer)
        self.stdout.write(
            f"Pairing code for {students[0].name} ({students[0].email}): {ready.code} "
            f"(expires {ready.record.expires_at:%Y-%m-%d %H:%M} UTC; enter it as observer@demo.test "
            "at /profile/observees)"
        )

    def _institution(self) -> Institution:
        institution = Institution.objects.filter(name=DEMO_INSTITUTION).first()
        if institution is None:
            institution = institution_create(name=DEMO_INSTITUTION)
        # As many schools choose: parents may sign up themselves, and teachers may make codes.
        institution_self_registration_set(
            institution=institution, value=SelfRegistration.OBSERVER, by=None
        )
        role_permission_set(
            institution=institution,
            role=Role.TEACHER,
            permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
            enabled=True,
            by=None,
        )
        return institution

    def _user(
        self,
        institution: Institution,
        email: str,
        name: str,
        password_hash: str,
        *,
        admin: bool = False,
        sis_user_id: str | None = None,
    ) -> User:
        # Only the demo institution's own people: an account elsewhere is never touched.
        user = User.objects.filter(institution=institution, email__iexact=email).first()
        try:
            if user is None:
                user = user_create(
                    institution=institution,
                    email=email,
                    name=name,
                    sis_user_id=sis_user_id,
                    is_account_admin=admin,
                )
            user_login_set(user=user, email=user.email, is_active=True, by=None)
        except AccountError as error:
            if error.message == AccountError.EMAIL_TAKEN:
                raise CommandError(
                    f"{email} is the login of an account outside the demo."
                ) from None
            raise CommandError(
                f"{email} is deactivated, and a command cannot reactivate an admin: "
                "a platform operator can, in the Django admin."
            ) from None
        user.password = password_hash
        user.save(update_fields=["password"])
        return user

    def _course(self, institution: Institution, code: str, name: str) -> Course:
        course = Course.objects.filter(
            institution=institution, sis_course_id=f"DEMO-{code}"
        ).first()
        if course is None:
            course = course_create(
                institution=institution,
                name=name,
                course_code=code,
                sis_course_id=f"DEMO-{code}",
                state=CourseState.AVAILABLE,
            )
        return course

    def _print_logins(self, admin, teachers, students, observer) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo data is ready: {DEMO_INSTITUTION}"))
        write(f"Every demo account's password: {DEMO_PASSWORD}")
        write(f"  admin     {admin.email}")
        for email in teachers:
            write(f"  teacher   {email}")
        write(f"  students  {students[0].email} … {students[-1].email}")
        write(f"  observer  {observer.email} (no students linked yet)")
