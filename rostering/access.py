"""Who may see roster imports: an institution's account admins (404 elsewhere, 403 for others)."""

from django.http import Http404

from accounts.access import get_institution_for_user
from accounts.models import User
from rostering.models import SisImport


def get_sis_import_for_user(user: User, institution_id: int, import_id: int) -> SisImport:
    institution = get_institution_for_user(user, institution_id, write=True)
    record = (
        SisImport.objects.filter(pk=import_id, institution=institution)
        .select_related("institution", "created_by")
        .first()
    )
    if record is None:
        raise Http404("No such import.")
    return record
