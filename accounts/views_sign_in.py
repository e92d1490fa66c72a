"""Invitations (accepting one; an admin sending them, one or many) and the operators' list of
institutions with its "New institution" form."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import (
    get_institution_for_user,
    get_institution_member_for_user,
    get_invitation_batch_for_user,
)
from accounts.errors import AccountError, PasswordRefused, SignInError
from accounts.forms_sign_in import InstitutionSetUpForm, InvitationFileForm
from accounts.models import Institution, SelfRegistration, User
from accounts.permissions import is_platform_operator
from accounts.selectors import invitation_batches_of, recent_invitations
from accounts.services import (
    institution_set_up,
    invitation_accept,
    invitation_batch_request,
    invitation_create,
    invitation_for_token,
)
from accounts.services.invitations import invitation_batch_progress
from pairing_portal.middleware import accepts_bodies_up_to

INVITATIONS_PER_PAGE = 50
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def base_url_of(request) -> str:
    """The portal's address as this request reached it, for links in e-mails."""
    return request.build_absolute_uri("/")


@require_http_methods(["GET", "POST"])
@never_cache
def invitation_accept_page(request, token: str):
    """The link of an invitation e-mail: the person chooses a password and is logged in."""
    invitation = invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except PasswordRefused as error:
            form.add_error("new_password1", error.translated)
        except SignInError:  # used by another tab a moment ago
            return render(request, "accounts/invitation_invalid.html", status=404)
        else:
            login(request, person, backend=MODEL_BACKEND)
            messages.success(request, gettext("Your password is set: welcome to the portal."))
            return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "person": invitation.user},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def institution_user_invite(request, institution_id: int, user_id: int):
    """User page → Send (or send again) an invitation."""
    institution, member = get_institution_member_for_user(request.user, institution_id, user_id)
    try:
        invitation_create(person=member, by=request.user, base_url=base_url_of(request))
    except AccountError as error:
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("An invitation is on its way to %(email)s.") % {"email": member.email},
        )
    return redirect("institution_user", institution.pk, member.pk)


@accepts_bodies_up_to(6 * 1024 * 1024)
@require_http_methods(["GET", "POST"])
@login_required
def institution_invitations(request, institution_id: int):
    """Invitations: who was invited and who accepted; invite everyone of a file at once."""
    institution = get_institution_for_user(request.user, institution_id, write=True)
    form = InvitationFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        filename, sis_ids, emails = form.cleaned_data["file"]
        people = User.objects.alias(email_lower=Lower("email")).filter(
            Q(sis_user_id__in=sis_ids) | Q(email_lower__in=emails)
        )
        try:
            batch = invitation_batch_request(
                institution=institution,
                people=people,
                described_as=filename,
                by=request.user,
                base_url=base_url_of(request),
            )
        except AccountError as error:
            form.add_error("file", error.translated)
        else:
            return redirect("invitation_batch", institution.pk, batch.pk)
    page = Paginator(recent_invitations(institution=institution), INVITATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/invitations.html",
        {
            "institution": institution,
            "form": form,
            "page": page,
            "batches": invitation_batches_of(institution=institution)[:10],
        },
        status=400 if form.errors else 200,
    )


@require_GET
@login_required
def invitation_batch(request, institution_id: int, batch_id: int):
    batch = get_invitation_batch_for_user(request.user, institution_id, batch_id)
    progress = invitation_batch_progress(batch=batch)
    return render(
        request,
        "accounts/invitation_batch.html",
        {
            "institution": batch.institution,
            "batch": batch,
            "progress": progress,
            "percent": _percent(progress),
            "finished": _finished(batch, progress),
        },
    )


@require_GET
@login_required
def invitation_batch_status(request, institution_id: int, batch_id: int):
    """What the progress page polls (static/js/export-progress.js)."""
    batch = get_invitation_batch_for_user(request.user, institution_id, batch_id)
    progress = invitation_batch_progress(batch=batch)
    label = gettext("%(sent)s of %(total)s invitations sent") % {
        "sent": progress["sent"],
        "total": progress["invited"] if batch.finished_at else progress["total"],
    }
    return JsonResponse(
        {
            "percent": _percent(progress),
            "finished": _finished(batch, progress),
            "label": label,
        }
    )


def _percent(progress: dict) -> int:
    """Half for making the invitations, half for sending them."""
    total = progress["total"] or 1
    made = progress["looked_at"] / total
    sent = (progress["sent"] + progress["failed"]) / (progress["invited"] or 1)
    return round(50 * made + 50 * (sent if progress["looked_at"] >= total else 0))


def _finished(batch, progress: dict) -> bool:
    return batch.finished_at is not None and (
        progress["sent"] + progress["failed"] >= progress["invited"]
    )


@require_http_methods(["GET", "POST"])
@login_required
def operator_institutions(request):
    """Platform operators: every institution, its admin pages, and a new one with its first admin
    (as `manage.py create_institution` makes it). Nobody else knows the page is there."""
    if not is_platform_operator(request.real_user):
        raise Http404("No such page.")
    form = InstitutionSetUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # the institution, its admin and their invitation, or none
                institution, admin = institution_set_up(
                    name=data["name"],
                    admin_email=data["admin_email"],
                    admin_name=data["admin_name"],
                    domain=data["domain"],
                    self_registration=SelfRegistration(data["self_registration"]),
                    by=request.user,
                )
                invitation_create(
                    person=admin, by=request.user, base_url=_base_for(request, institution)
                )
        except AccountError as error:
            form.add_error(None, error.translated)
        else:
            messages.success(
                request,
                gettext("%(name)s is ready: an invitation is on its way to %(email)s.")
                % {"name": institution.name, "email": admin.email},
            )
            return redirect("operator_institutions")
    return render(
        request,
        "accounts/operator_institutions.html",
        {"institutions": Institution.objects.order_by("name"), "form": form},
        status=400 if form.errors else 200,
    )


def _base_for(request, institution: Institution) -> str:
    """An institution's own domain where it has one (its people sign in there), else this one."""
    if institution.domain:
        return f"{request.scheme}://{institution.domain}/"
    return base_url_of(request)
