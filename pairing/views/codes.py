"""Making pairing codes (one for a student, or a course's worth as a file or letters), and
revoking a student's codes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from courses.access import get_course_for_user
from courses.models import Course
from pairing.access import get_course_member_for_staff_action, get_institution_user_for_admin
from pairing.code_once import code_to_show_keep, code_to_show_take
from pairing.csv_export import pairing_codes_csv_lines
from pairing.errors import PairingError
from pairing.forms import PairingLettersForm
from pairing.letters import PAPER_STYLESHEETS, letters_build, letters_context
from pairing.pairing_link import pairing_link, qr_svg
from pairing.services import (
    PairingPaused,
    pairing_code_create,
    pairing_code_refusal,
    pairing_codes_create_for_course,
    pairing_codes_revoke_all,
)
from pairing.services.codes import IssuedCode


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def profile_pairing_code(request):
    """User Settings → Pair with Observer: POST makes a code, the GET after it shows it once."""
    return _code_dialog(
        request,
        request.user,
        back=reverse("profile_settings"),
        here=reverse("profile_pairing_code"),
    )


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def course_user_pairing_code(request, course_id: int, user_id: int):
    course, member = get_course_member_for_staff_action(request.user, course_id, user_id)
    return _code_dialog(
        request,
        member,
        back=reverse("course_user_details", args=[course.pk, member.pk]),
        here=reverse("course_user_pairing_code", args=[course.pk, member.pk]),
    )


def _code_dialog(request, student: User, *, back: str, here: str):
    """POST: a new code for ``student``, kept for the page it redirects to (``here``); when making
    codes is paused, back to ``back`` with the reason. GET: that code, shown this once; a reload
    says it was shown and offers to make another."""
    if request.method == "POST":
        try:
            issued = pairing_code_create(student=student, by=request.user)
        except PairingPaused as paused:
            messages.error(request, paused.translated)
            return redirect(back)
        except PairingError as error:
            raise PermissionDenied(error.translated) from None
        code_to_show_keep(request.session, student_id=student.pk, issued=issued)
        return redirect(here)
    shown = code_to_show_take(request.session, student_id=student.pk)
    context = {"student": student, "back": back, "here": here}
    if shown is None:
        refusal = pairing_code_refusal(student=student, by=request.user)
        if refusal is not None:
            raise PermissionDenied(gettext(refusal))
        return render(request, "pairing/pairing_code.html", {**context, "shown_already": True})
    link = pairing_link(request, shown.code)
    return render(
        request,
        "pairing/pairing_code.html",
        {
            **context,
            "code": shown.code,
            "expires_at": shown.expires_at,
            "lifetime_days": shown.lifetime_days,
            "link": link,
            "qr": qr_svg(link, title=gettext("QR code of the pairing link")),
        },
    )


@require_POST
@login_required
@never_cache
def course_pairing_codes_csv(request, course_id: int):
    course = get_course_for_user(request.user, course_id, roster=True)
    rows = _course_codes(request, course)
    if rows is None:
        return redirect("course_people", course.pk)
    response = StreamingHttpResponse(
        pairing_codes_csv_lines(rows, base_url=request.build_absolute_uri("/")),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{course.course_code}_Pairing_Codes.csv"
    )
    return response


@require_POST
@login_required
@never_cache
def course_pairing_letters(request, course_id: int):
    """People → Print Pairing Letters: a new code for every student, one printable page each.

    The same rules and codes as Export Pairing Codes; shown this once, never stored in clear.
    """
    course = get_course_for_user(request.user, course_id, roster=True)
    form = PairingLettersForm(request.POST)
    paper = form.cleaned_data["paper"] if form.is_valid() else PairingLettersForm.default_paper()
    rows = _course_codes(request, course)
    if rows is None:
        return redirect("course_people", course.pk)
    base_url = request.build_absolute_uri("/")
    return render(
        request,
        "pairing/pairing_letters.html",
        {
            "course": course,
            "letters": letters_build(rows, base_url=base_url),
            "paper_stylesheet": PAPER_STYLESHEETS[paper],
            "paper_name": dict(PairingLettersForm.PAPER_CHOICES)[paper],
            **letters_context(institution=course.institution, base_url=base_url),
        },
    )


def _course_codes(request, course: Course) -> list[tuple[User, IssuedCode]] | None:
    """A new code for each student of ``course`` (Export Pairing Codes, Print Pairing Letters);
    None, with the reason in a message, while making codes is paused."""
    try:
        return pairing_codes_create_for_course(course=course, by=request.user)
    except PairingPaused as paused:
        messages.error(request, paused.translated)
        return None
    except PairingError as error:
        raise PermissionDenied(error.translated) from None


@require_POST
@login_required
def profile_pairing_codes_revoke(request):
    _revoke_all(request, student=request.user)
    return redirect("profile_settings")


@require_POST
@login_required
def course_user_pairing_codes_revoke(request, course_id: int, user_id: int):
    course, member = get_course_member_for_staff_action(request.user, course_id, user_id)
    _revoke_all(request, student=member)
    return redirect("course_user_details", course.pk, member.pk)


@require_POST
@login_required
def institution_user_pairing_codes_revoke(request, institution_id: int, user_id: int):
    _institution, member = get_institution_user_for_admin(request.user, institution_id, user_id)
    _revoke_all(request, student=member)
    return redirect("institution_user", institution_id, member.pk)


def _revoke_all(request, *, student: User) -> None:
    try:
        revoked = pairing_codes_revoke_all(student=student, by=request.user)
    except PairingError as error:
        raise PermissionDenied(error.translated) from None
    if revoked:
        messages.success(
            request,
            ngettext(
                "%(count)d pairing code was revoked: it no longer works. Observers already "
                "linked stay linked.",
                "%(count)d pairing codes were revoked: they no longer work. Observers already "
                "linked stay linked.",
                revoked,
            )
            % {"count": revoked},
        )
    else:
        messages.info(request, gettext("There were no active pairing codes to revoke."))
