"""Ending observer links from the student's side and the admin's "remove all observers"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from pairing.access import get_institution_user_for_admin, get_observer_link_for_user
from pairing.errors import PairingError
from pairing.services import observer_link_remove, observers_clear


@require_POST
@login_required
def profile_observer_remove(request, link_id: int):
    """User Settings → Your observers → Remove, where the institution lets students do it."""
    link = get_observer_link_for_user(request.user, link_id, write=True)
    if link.student_id != request.user.pk:
        raise Http404("No such link.")
    try:
        observer_link_remove(link=link, by=request.user)
    except PairingError as error:
        messages.error(request, error.translated)
    else:
        messages.success(
            request, gettext("%(name)s no longer observes you.") % {"name": link.observer.name}
        )
    return redirect("profile_settings")


@require_POST
@login_required
def institution_user_observers_clear(request, institution_id: int, user_id: int):
    """Users and observers → a student → Remove all observers (Schoology's "Clear Parents")."""
    _institution, student = get_institution_user_for_admin(request.user, institution_id, user_id)
    try:
        removed = observers_clear(student=student, by=request.user)
    except PairingError as error:
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d observer was removed from %(name)s.",
                "%(count)d observers were removed from %(name)s.",
                removed,
            )
            % {"count": removed, "name": student.name},
        )
    return redirect("institution_user", institution_id, student.pk)
