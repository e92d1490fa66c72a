import re

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import AccountError
from accounts.forms import ApiTokenForm, ProfileForm
from accounts.models import SelfRegistration, User
from accounts.permissions import permissions_for, user_has_permission
from accounts.proof_of_work import PROOF_FIELD, challenge_json
from accounts.roles import Permission, Role
from accounts.selectors import api_tokens_of, institution_for_host
from accounts.services import user_profile_update
from courses.access import get_course_for_user, sees_all_observers
from courses.selectors import course_roster, enrollments_for_user
from pairing.access import (
    get_course_enrollment_for_user,
    get_course_member_for_staff_action,
    get_course_member_for_user,
    get_observer_link_for_user,
)
from pairing.csv_export import pairing_codes_csv_lines
from pairing.errors import PairingError
from pairing.forms import (
    CourseObserverForm,
    ObserverSignUpForm,
    PairingLettersForm,
    RedeemCodeForm,
)
from pairing.pairing_link import pairing_link, qr_svg
from pairing.selectors import (
    course_observers_of,
    member_enrollments,
    observed_student_in_focus,
    observed_students,
    observer_links_for,
    observers_of,
)
from pairing.services import (
    PairingPaused,
    ProofOfWorkRequired,
    course_observer_add,
    course_observer_remove,
    may_export_pairing_codes,
    observer_focus_remember,
    observer_link_remove,
    observer_sign_up,
    pairing_code_create,
    pairing_code_redeem,
    pairing_code_refusal,
    pairing_codes_active_count,
    pairing_codes_create_for_course,
    pairing_codes_revoke_refusal,
    redemption_proof_purpose,
    students_may_remove_observers,
)

HOME_COURSE_LIMIT = 20
ROSTER_PAGE_SIZE = 100


@require_GET
@login_required
def home(request):
    """Each user's starting point: their courses, the students they observe, what they may do."""
    enrollments = enrollments_for_user(user=request.user).exclude(type=Role.OBSERVER)
    observed = observed_students(observer=request.user)
    # Families with several children see one at a time, starting where they left off.
    wanted = _int_or_none(request.GET.get("student"))
    focus = observed_student_in_focus(
        observed, wanted=wanted, last=request.user.last_observed_student_id
    )
    # Remembered when the parent picks a child (an admin acting as them leaves it alone).
    if focus is not None and focus.student.pk == wanted and request.act_as is None:
        observer_focus_remember(observer=request.user, student=focus.student)
    return render(
        request,
        "pairing/home.html",
        {
            "enrollments": enrollments[:HOME_COURSE_LIMIT],
            "has_more": enrollments.count() > HOME_COURSE_LIMIT,
            "observed": observed,
            "focus": focus,
            "may_export_school": user_has_permission(
                request.user, Permission.GENERATE_OBSERVER_PAIRING_CODE
            ),
            "may_pair": pairing_code_refusal(student=request.user, by=request.user) is None,
        },
    )


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and re.fullmatch(r"[0-9]{1,18}", value) else None


# --- User Settings, and making a code: the student there, staff on User Details --------------------


@require_http_methods(["GET", "POST"])
@login_required
def profile_settings(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "name": user.name,
            "short_name": user.short_name,
            "sortable_name": user.sortable_name,
            "time_zone": user.time_zone,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=user, **form.cleaned_data)
        except AccountError as error:
            field = "time_zone" if error.message == AccountError.TIME_ZONE_INVALID else "name"
            form.add_error(field, error.translated)
        else:
            messages.success(request, gettext("Your settings were saved."))
            return redirect("profile_settings")
    return render(
        request,
        "accounts/profile_settings.html",
        {
            "form": form,
            "may_pair": pairing_code_refusal(student=user, by=user) is None,
            "active_codes": pairing_codes_active_count(student=user),
            "my_observers": list(observers_of(student=user)),
            "may_remove_observers": students_may_remove_observers(
                institution_id=user.institution_id
            ),
            "tokens": api_tokens_of(user=user),
            "token_form": ApiTokenForm(),
        },
    )


@require_POST
@login_required
@never_cache
def profile_pairing_code(request):
    try:
        issued = pairing_code_create(student=request.user, by=request.user)
    except PairingPaused as paused:
        messages.error(request, paused.translated)
        return redirect("profile_settings")
    except PairingError as error:
        raise PermissionDenied(error.translated) from None
    return _code_dialog(request, request.user, issued, back=reverse("profile_settings"))


@require_POST
@login_required
@never_cache
def course_user_pairing_code(request, course_id: int, user_id: int):
    course, member = get_course_member_for_staff_action(request.user, course_id, user_id)
    try:
        issued = pairing_code_create(student=member, by=request.user)
    except PairingPaused as paused:
        messages.error(request, paused.translated)
        return redirect("course_user_details", course.pk, member.pk)
    except PairingError as error:
        raise PermissionDenied(error.translated) from None
    back = reverse("course_user_details", args=[course.pk, member.pk])
    return _code_dialog(request, member, issued, back=back)


def _code_dialog(request, student: User, issued, *, back: str):
    # Rendered straight from the POST, never stored or redirected: the code is shown this once.
    link = pairing_link(request, issued.code)
    return render(
        request,
        "pairing/pairing_code.html",
        {
            "student": student,
            "code": issued.code,
            "expires_at": issued.record.expires_at,
            "lifetime_days": issued.lifetime_days,
            "link": link,
            "qr": qr_svg(link, title=gettext("QR code of the pairing link")),
            "back": back,
        },
    )


@require_POST
@login_required
@never_cache
def course_pairing_codes_csv(request, course_id: int):
    course = get_course_for_user(request.user, course_id, roster=True)
    try:
        rows = pairing_codes_create_for_course(course=course, by=request.user)
    except PairingPaused as paused:
        messages.error(request, paused.translated)
        return redirect("course_people", course.pk)
    except PairingError as error:
        raise PermissionDenied(error.translated) from None
    response = StreamingHttpResponse(
        pairing_codes_csv_lines(rows, base_url=request.build_absolute_uri("/")),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{course.course_code}_Pairing_Codes.csv"
    )
    return response


# --- Observing: /profile/observees -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def observees(request):
    form = RedeemCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            redemption = pairing_code_redeem(
                code=form.cleaned_data["code"],
                observer=request.user,
                proof=request.POST.get(PROOF_FIELD),
            )
        except ProofOfWorkRequired as error:
            form.add_error(None, error.translated)
        except PairingError as error:
            form.add_error("code", error.translated)
        else:
            name = {"name": redemption.link.student.name}
            if redemption.already_linked:
                messages.info(
                    request,
                    gettext("You already observe %(name)s. The code was not used up.") % name,
                )
            else:
                messages.success(request, gettext("You are now observing %(name)s.") % name)
            return redirect("observees")
    form.proof_of_work = _proof_of_work(institution_id=request.user.institution_id)
    return render(
        request,
        "pairing/observees.html",
        {"form": form, "links": observer_links_for(observer=request.user)},
    )


def _proof_of_work(*, institution_id: int | None, sign_up: bool = False) -> str | None:
    """The challenge a pairing form shows while its institution asks for proofs of work."""
    purpose = redemption_proof_purpose(institution_id=institution_id, sign_up=sign_up)
    return challenge_json(purpose=purpose) if purpose else None


@require_POST
@login_required
def observee_remove(request, link_id: int):
    link = get_observer_link_for_user(request.user, link_id, write=True)
    try:
        observer_link_remove(link=link, by=request.user)
    except PairingError as error:
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("You are no longer observing %(name)s.") % {"name": link.student.name},
        )
    return redirect("observees")


# --- Parents sign up here ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def observer_sign_up_page(request):
    if request.user.is_authenticated:
        return redirect("observees")
    institution = institution_for_host(request.get_host())
    if institution is None or institution.self_registration == SelfRegistration.NONE:
        return render(request, "pairing/sign_up_disabled.html", status=403)
    form = ObserverSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            observer = observer_sign_up(
                institution=institution,
                name=data["name"],
                email=data["email"],
                password=data["password"],
                code=data["code"],
                proof=request.POST.get(PROOF_FIELD),
            )
        except ProofOfWorkRequired as error:
            form.add_error(None, error.translated)
        except PairingError as error:
            form.add_error("code", error.translated)
        except AccountError as error:
            form.add_error(
                "email" if error.message == AccountError.EMAIL_TAKEN else "name", error.translated
            )
        else:
            login(request, observer, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, gettext("Welcome! Your account is ready and linked to your student.")
            )
            return redirect("home")
    form.proof_of_work = _proof_of_work(institution_id=institution.pk, sign_up=True)
    return render(request, "pairing/sign_up.html", {"form": form, "institution": institution})


# --- People → User Details, and course-only observers ------------------------------------------------


@require_GET
@login_required
def course_people(request, course_id: int):
    """The roster, with the pairing actions of the People page's options menus."""
    course = get_course_for_user(request.user, course_id, roster=True)
    permissions = permissions_for(request.user, course=course)
    staff_view = Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions
    roster = course_roster(
        course=course,
        viewer=request.user,
        include_inactive=staff_view,
        all_observers=sees_all_observers(permissions),
    )
    page = Paginator(roster, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/people.html",
        {
            "course": course,
            "page": page,
            "staff_view": staff_view,
            "may_export": may_export_pairing_codes(course=course, by=request.user),
            "letters_paper": PairingLettersForm.default_paper(),
        },
    )


@require_GET
@login_required
def course_user_details(request, course_id: int, user_id: int):
    course, member = get_course_member_for_user(request.user, course_id, user_id)
    permissions = permissions_for(request.user, course=course)
    seen_by = {"viewer": request.user, "all_observers": sees_all_observers(permissions)}
    enrollments = list(member_enrollments(course=course, user=member, **seen_by))
    is_student = any(e.type == Role.STUDENT for e in enrollments)
    # A student's observers: for those who manage the course's, and for the student themself.
    shows_observers = is_student and (seen_by["all_observers"] or member.pk == request.user.pk)
    may_pair = (
        Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions
        and pairing_code_refusal(student=member, by=request.user) is None
    )
    # A leaked code: those who may make codes for the student see how many work and can stop them.
    may_revoke = (
        is_student
        and Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions
        and pairing_codes_revoke_refusal(student=member, by=request.user) is None
    )
    active_codes = pairing_codes_active_count(student=member) if may_revoke else None
    return render(
        request,
        "pairing/user_details.html",
        {
            "course": course,
            "member": member,
            "enrollments": enrollments,
            "is_student": is_student,
            "may_pair": may_pair,
            "active_codes": active_codes,
            "staff_view": Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions,
            "shows_observers": shows_observers,
            "observers": (
                course_observers_of(course=course, student=member, **seen_by)
                if shows_observers
                else []
            ),
            "may_add_observer": is_student and Permission.ADD_OBSERVER_TO_COURSE in permissions,
            "may_remove_observer": Permission.REMOVE_OBSERVER_FROM_COURSE in permissions,
            "observer_form": CourseObserverForm(),
        },
    )


@require_POST
@login_required
def course_observer_add_page(request, course_id: int, user_id: int):
    course, student = get_course_member_for_user(request.user, course_id, user_id)
    form = CourseObserverForm(request.POST)
    back = redirect("course_user_details", course.pk, student.pk)
    if not form.is_valid():
        messages.error(request, gettext("Please enter the observer's e-mail address."))
        return back
    observer = User.objects.filter(
        email__iexact=form.cleaned_data["email"], institution=course.institution, is_active=True
    ).first()
    if observer is None:
        messages.error(request, gettext(PairingError.OBSERVER_NOT_FOUND))
        return back
    try:
        course_observer_add(course=course, observer=observer, student=student, by=request.user)
    except PairingError as error:
        if error.message == PairingError.NOT_ALLOWED_TO_LINK:
            raise PermissionDenied(error.translated) from None
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("%(observer)s now observes %(student)s in this course.")
            % {"observer": observer.name, "student": student.name},
        )
    return back


@require_POST
@login_required
def course_observer_remove_page(request, course_id: int, enrollment_id: int):
    enrollment = get_course_enrollment_for_user(request.user, course_id, enrollment_id)
    try:
        course_observer_remove(enrollment=enrollment, by=request.user)
    except PairingError as error:
        if error.message == PairingError.NOT_ALLOWED_TO_UNLINK:
            raise PermissionDenied(error.translated) from None
        messages.error(request, error.translated)
    else:
        messages.success(
            request,
            gettext("%(name)s no longer observes in this course.") % {"name": enrollment.user.name},
        )
    target = enrollment.associated_user_id or enrollment.user_id
    return redirect("course_user_details", enrollment.course_id, target)
