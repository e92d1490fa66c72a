"""The district `make bench` measures: made in bulk, so that the portal's services are what is
measured (bench/run.py)."""

CLIENTS = 16
REDEMPTIONS_PER_CLIENT = 242  # 2 to warm up, 240 in turns (bench/run.py ROUNDS)
GENERATIONS_PER_CLIENT = 40
EXPORT_STUDENTS = 10_000
PEOPLE_STUDENTS = 2_000
SIS_OBSERVERS, SIS_STUDENTS = 2_000, 50  # 100,000 distinct pairs
PASSWORD_HASH = "pbkdf2_sha256$1000000$bench$YmVuY2g="  # nobody logs in with a password here


def build_district() -> dict:
    """Everything the measurements need, made in bulk (the portal's services are what is measured)."""
    from django.utils import timezone

    from accounts.models import SelfRegistration, User
    from accounts.roles import Role
    from accounts.services import api_token_create, institution_create, user_create
    from courses.models import Course, CourseState, Enrollment, EnrollmentState

    now = timezone.now()
    district = institution_create(
        name="Bench District", self_registration=SelfRegistration.OBSERVER
    )
    admin = user_create(
        institution=district, email="admin@bench.test", name="Bench Admin", is_account_admin=True
    )
    teacher = user_create(institution=district, email="teacher@bench.test", name="Bench Teacher")

    def people(prefix: str, count: int, sis: bool = False) -> list[User]:
        users = [
            User(
                institution=district,
                email=f"{prefix}{n:06d}@bench.test",
                name=f"{prefix.title()} {n:06d}",
                sortable_name=f"{n:06d}, {prefix.title()}",
                short_name=f"{prefix.title()} {n:06d}",
                sis_user_id=f"{prefix.upper()}{n:06d}" if sis else None,
                password=PASSWORD_HASH,
                created_at=now,
            )
            for n in range(count)
        ]
        return User.objects.bulk_create(users, batch_size=2000)

    def course(name: str) -> Course:
        return Course.objects.create(
            institution=district, name=name, course_code=name.upper(), state=CourseState.AVAILABLE
        )

    def enroll(target: Course, users: list[User], role: str = Role.STUDENT) -> None:
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    user=u,
                    course=target,
                    type=role,
                    state=EnrollmentState.ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
                for u in users
            ],
            batch_size=5000,
        )

    # The portal, the framework floor and the raw-SQL limit each spend their own codes.
    redeem_students = people("redeem", CLIENTS * REDEMPTIONS_PER_CLIENT)
    floor_students = people("floor", CLIENTS * REDEMPTIONS_PER_CLIENT)
    limit_students = people("limit", CLIENTS * REDEMPTIONS_PER_CLIENT)
    redeem_course, floor_course = course("Redeem"), course("Floor")
    limit_course = course("Limit")
    enroll(redeem_course, redeem_students)
    enroll(floor_course, floor_students)
    enroll(limit_course, limit_students)
    observers = people("parent", CLIENTS)
    floor_observers = people("floorparent", CLIENTS)
    limit_observers = people("limitparent", CLIENTS)

    export_course = course("Export")
    enroll(export_course, people("export", EXPORT_STUDENTS))
    enroll(export_course, [teacher], Role.TEACHER)
    people_course = course("People")
    enroll(people_course, people("roster", PEOPLE_STUDENTS))
    enroll(people_course, [teacher], Role.TEACHER)

    sis_course = course("Sis")
    sis_students = people("sisstudent", SIS_STUDENTS, sis=True)
    enroll(sis_course, sis_students)
    people("sisparent", SIS_OBSERVERS, sis=True)

    # One admin per client, one code per student: within PAIRING_CODES_PER_MAKER_PER_HOUR and
    # PAIRING_CODES_PER_STUDENT_PER_DAY however often the bench runs in a day.
    generate_students = people("generate", CLIENTS * GENERATIONS_PER_CLIENT)
    enroll(course("Generate"), generate_students)
    floor_generate_students = people("floorgenerate", CLIENTS * GENERATIONS_PER_CLIENT)
    enroll(course("FloorGenerate"), floor_generate_students)
    generate_admins = people("generateadmin", CLIENTS)
    User.objects.filter(pk__in=[a.pk for a in generate_admins]).update(is_account_admin=True)

    def tokens(users: list[User]) -> list[str]:
        return [api_token_create(user=u, purpose="bench").token for u in users]

    return {
        "district": district.pk,
        "admin": admin,
        "teacher": teacher,
        "observer_tokens": tokens(observers),
        "floor_observer_tokens": tokens(floor_observers),
        "limit_observers": [o.pk for o in limit_observers],
        "redeem_course": redeem_course,
        "floor_course": floor_course,
        "limit_course": limit_course,
        "export_course": export_course.pk,
        "people_course": people_course.pk,
        "generate_students": [s.pk for s in generate_students],
        "floor_generate_students": [s.pk for s in floor_generate_students],
        "generate_tokens": tokens(generate_admins),
    }


def codes_for(course, admin) -> list[str]:
    from pairing.services import pairing_codes_create_for_course

    return [
        issued.code for _student, issued in pairing_codes_create_for_course(course=course, by=admin)
    ]
