"""Users → a person → Personal data: an admin downloads everything the portal holds about them,
or deletes them (FERPA, GDPR)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.errors import AccountError
from accounts.personal_data import person_delete
from pairing.access import get_institution_user_for_admin
from pairing.services import person_data_export


@require_POST
@login_required
def institution_user_data(request, institution_id: int, user_id: int):
    """A JSON file of everything about the person, to hand to them (a POST: it is recorded)."""
    _institution, person = get_institution_user_for_admin(request.user, institution_id, user_id)
    try:
        document = person_data_export(person=person, by=request.user)
    except AccountError as error:
        raise PermissionDenied(error.translated) from error
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def institution_user_delete(request, institution_id: int, user_id: int):
    institution, person = get_institution_user_for_admin(request.user, institution_id, user_id)
    name = person.name
    try:
        person_delete(person=person, by=request.user)
    except AccountError as error:
        messages.error(request, error.translated)
        return redirect("institution_user", institution.pk, person.pk)
    messages.success(
        request,
        gettext("%(name)s was deleted, with their enrollments, links and pairing codes.")
        % {"name": name},
    )
    return redirect("institution_users", institution.pk)
