"""Running OneRoster imports in the tests and reading what they made."""

from django.core.files.base import ContentFile

from accounts.models import User
from courses.models import Enrollment
from pairing.models import ObserverLink, ObserverLinkState
from rostering.models import SisImportType
from rostering.sis_import import sis_import_request, sis_import_run


def import_oneroster(institution, data: bytes, *, by=None, dry_run=False, **options):
    record = sis_import_request(
        institution=institution,
        filename="lakeside.zip",
        upload=ContentFile(data),
        by=by,
        dry_run=dry_run,
        import_type=SisImportType.ONEROSTER_CSV,
        options=options,
    )
    sis_import_run(import_id=record.pk)
    record.refresh_from_db()
    return record


def links(institution, state=ObserverLinkState.ACTIVE) -> set[tuple[str, str, str]]:
    """(observer, student, source) of the institution's links in ``state``, by SIS id (or e-mail
    for someone without one)."""
    return {
        (observer or observer_email, student, source)
        for observer, observer_email, student, source in ObserverLink.objects.filter(
            institution=institution, state=state
        ).values_list("observer__sis_user_id", "observer__email", "student__sis_user_id", "source")
    }


def enrollments(institution, *, fillers: bool = False) -> set[tuple]:
    """(course, person, role, state, observed student) of every enrollment, by SIS ids."""
    rows = Enrollment.objects.filter(course__institution=institution)
    if not fillers:
        rows = rows.exclude(user__sis_user_id__startswith="U-F")
    return set(
        rows.values_list(
            "course__sis_course_id",
            "user__sis_user_id",
            "type",
            "state",
            "associated_user__sis_user_id",
        )
    )


def active_people(institution) -> set[str]:
    return set(
        User.objects.filter(institution=institution, is_active=True, sis_user_id__isnull=False)
        .exclude(sis_user_id__startswith="U-F")
        .values_list("sis_user_id", flat=True)
    )
