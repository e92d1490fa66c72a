"""Everything the portal holds about one person, as one JSON document (FERPA, GDPR): the account's
share (accounts.personal_data), their enrollments, their observer links either way and the
pairing codes made for them. Codes appear by their dates and state only: the codes themselves are
never stored, only a keyed hash, which is left out too."""

from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import AccountError
from accounts.models import AuditAction, User
from accounts.personal_data import account_data, person_data_refusal
from courses.models import Enrollment
from pairing.models import ObserverLink, PairingCode

FORMAT_VERSION = 1


def _links(links) -> list[dict]:
    return [
        {
            "observer": {"id": link.observer_id, "name": link.observer.name},
            "student": {"id": link.student_id, "name": link.student.name},
            "state": link.state,
            "source": link.source,
            "created_at": link.created_at,
            "created_by_id": link.created_by_id,
            "removed_at": link.removed_at,
            "removed_by_id": link.removed_by_id,
        }
        for link in links.select_related("observer", "student").order_by("created_at", "id")
    ]


def person_data_export(*, person: User, by: User | None) -> dict:
    """What the portal holds about ``person``, for ``by`` (their institution's admin, an operator,
    or a command: None) to hand to them. Refused (AccountError) otherwise; recorded when given."""
    refusal = person_data_refusal(person=person, by=by)
    if refusal is not None:
        raise AccountError(refusal)
    document = {
        "format": FORMAT_VERSION,
        "exported_at": timezone.now(),
        **account_data(person=person),
        "enrollments": [
            {
                "course": {
                    "id": enrollment.course_id,
                    "name": enrollment.course.name,
                    "course_code": enrollment.course.course_code,
                },
                "type": enrollment.type,
                "state": enrollment.state,
                "observed_student_id": enrollment.associated_user_id,
                "created_at": enrollment.created_at,
                "updated_at": enrollment.updated_at,
            }
            for enrollment in Enrollment.objects.filter(user=person)
            .select_related("course")
            .order_by("created_at", "id")
        ],
        "observing": _links(ObserverLink.objects.filter(observer=person)),
        "observed_by": _links(ObserverLink.objects.filter(student=person)),
        "pairing_codes": list(
            PairingCode.objects.filter(student=person)
            .order_by("created_at", "id")
            .values(
                "id", "created_at", "expires_at", "state", "ended_at", "created_by_id", "used_by_id"
            )
        ),
        # Codes of a student that this person used to link to them.
        "pairing_codes_used": list(
            PairingCode.objects.filter(used_by=person)
            .order_by("ended_at", "id")
            .values("id", "student_id", "ended_at")
        ),
    }
    audit_record(
        action=AuditAction.PERSON_EXPORTED,
        institution=person.institution_id,
        actor=by,
        subject=person,
    )
    return document
