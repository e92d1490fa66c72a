"""The one lock order of pairing writes: the students' rows first, in id order."""

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import User
from pairing_portal.sql import one_of


def students_lock(*, student_ids: Iterable[int] | QuerySet) -> None:
    """Lock the students' rows, in id order, until the transaction ends.

    Everything that writes a student's codes, observer links or linked enrollments takes this lock
    first, so those writes happen one at a time per student: generations (a double click, ten tabs,
    an export at once) count and retire codes in turn and nobody ever holds more than five; a link
    made while the student is enrolled somewhere new sees that enrollment, or the enrollment sees
    the link (otherwise each could miss the other's uncommitted row). Id order, and the student's
    row before any code, link or enrollment row, keep two writers from ever waiting on each other.
    """
    ids = student_ids if isinstance(student_ids, QuerySet) else one_of(set(student_ids), "bigint")
    list(User.objects.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk"))
