"""User routes of the API: the caller, pairing codes, observees and observers, a user's courses."""

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import get_institution_for_user
from accounts.errors import AccountError
from accounts.models import User
from accounts.proof_of_work import PROOF_FIELD, challenge_create
from accounts.services import invitation_create, user_create
from accounts.throttle import minutes_until
from api.access import (
    account_id_for_ref,
    get_observed_party_for_caller,
    get_user_for_caller,
    is_admin_of,
    require_may_read_courses_of,
    require_self_or_admin,
    user_id_for_ref,
)
from api.errors import BadRequest, Unauthorized, Unprocessable
from api.errors import ProofOfWorkRequired as ProofOfWorkRequiredError
from api.pagination import paginated_response
from api.schema import (
    ACCOUNT_REF,
    INCLUDE,
    PAGE,
    STATES,
    TYPES,
    USER_REF,
    errors,
    form_body,
    user_parameter,
)
from api.serializers import (
    CourseSerializer,
    EnrollmentSerializer,
    ObserveeSerializer,
    PairingCodeSerializer,
    ProfileSerializer,
    UserSerializer,
)
from courses.models import CURRENT_ENROLLMENT_STATES, Enrollment
from courses.selectors import current_courses_of
from pairing.access import get_observer_link_for_user
from pairing.errors import PairingError
from pairing.models import ObserverLinkSource
from pairing.selectors import linked_observers_of, linked_students_of
from pairing.services import (
    PairingPaused,
    ProofOfWorkRequired,
    observer_link_create_by_admin,
    observer_link_remove,
    pairing_code_create,
    pairing_code_redeem,
)

OBSERVEE_REF = user_parameter("observee_id")
INVALID_PAIRING_CODE = "Invalid pairing code."
API_PROOF_REQUIRED = (
    "Too many wrong pairing codes were entered at this institution today: solve the proof of work "
    "in altcha_challenge (ALTCHA) and send the pairing code again with the solution as altcha."
)


def _context(request, caller: User, subject: User | None = None) -> dict:
    return {
        "request": request,
        "include": request.query_params.getlist("include[]"),
        "show_logins": subject is not None
        and (caller.pk == subject.pk or is_admin_of(caller, subject)),
    }


def _user_list_context(request, caller: User) -> dict:
    # Lists show login ids only to admins of the institution (everyone listed belongs to it).
    return {
        "request": request,
        "include": request.query_params.getlist("include[]"),
        "show_logins": caller.is_account_admin,
    }


class UserView(APIView):
    """R1, R2: GET /users/self, /users/:id."""

    @extend_schema(parameters=[USER_REF], responses={200: UserSerializer, **errors(401, 404)})
    def get(self, request, user_ref: str):
        user = get_user_for_caller(request.user, user_ref)
        require_self_or_admin(request.user, user)
        return Response(UserSerializer(user, context=_context(request, request.user, user)).data)


class UserProfileView(APIView):
    """GET /users/:id/profile."""

    @extend_schema(parameters=[USER_REF], responses={200: ProfileSerializer, **errors(401, 404)})
    def get(self, request, user_ref: str):
        user = get_user_for_caller(request.user, user_ref)
        require_self_or_admin(request.user, user)
        return Response(ProfileSerializer(user, context={"request": request}).data)


class PairingCodeCreateView(APIView):
    """R3: POST /users/:user_id/observer_pairing_codes. Every refusal is 401, as in Canvas."""

    @extend_schema(
        parameters=[USER_REF],
        request=None,
        responses={200: PairingCodeSerializer, **errors(401, 404)},
    )
    def post(self, request, user_ref: str):
        student = get_user_for_caller(request.user, user_ref)
        try:
            issued = pairing_code_create(student=student, by=request.user)
        except PairingPaused as paused:
            raise Throttled(wait=minutes_until(paused.until) * 60, detail=paused.message) from None
        except PairingError as error:
            raise Unauthorized(error.message) from None
        return Response(PairingCodeSerializer(issued).data)


def _people_response(request, people) -> Response:
    """A page of linked students or observers."""
    context = _user_list_context(request, request.user)
    return paginated_response(
        request, people, lambda page: ObserveeSerializer(page, many=True, context=context).data
    )


class ObserveesView(APIView):
    """R5: GET /users/:user_id/observees. R4: POST with ``pairing_code``."""

    @extend_schema(
        parameters=[USER_REF, INCLUDE, *PAGE],
        responses={200: ObserveeSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, user_ref: str):
        observer = get_observed_party_for_caller(request.user, user_ref)
        return _people_response(request, linked_students_of(observer=observer))

    @extend_schema(
        parameters=[USER_REF],
        request=form_body(
            "RedeemPairingCode",
            {
                "pairing_code": serializers.CharField(),
                "altcha": serializers.CharField(
                    required=False,
                    help_text="A solved proof of work, when a 429 answer asked for one.",
                ),
            },
        ),
        responses={200: ObserveeSerializer, **errors(400, 401, 404, 422, 429)},
    )
    def post(self, request, user_ref: str):
        observer = get_observed_party_for_caller(request.user, user_ref)
        if "observee[unique_id]" in request.data or "access_token" in request.data:
            raise BadRequest(
                "Linking with a student's login or token is not supported; use pairing_code."
            )
        code = request.data.get("pairing_code")
        if not isinstance(code, str) or not code.strip():
            raise BadRequest("pairing_code is required.")
        try:
            # An existing link is success too, and the code is spent regardless (contract R4).
            student = pairing_code_redeem(
                code=code,
                observer=observer,
                keep_code_if_linked=False,
                proof=request.data.get(PROOF_FIELD),
            ).link.student
        except PairingPaused as paused:
            raise Throttled(wait=minutes_until(paused.until) * 60, detail=paused.message) from None
        except ProofOfWorkRequired as required:
            raise ProofOfWorkRequiredError(
                API_PROOF_REQUIRED, challenge=challenge_create(purpose=required.purpose)
            ) from None
        except PairingError as error:
            if error.message == PairingError.REDEMPTION_OFF:
                # As R3 answers while self-registration is "none": pairing codes exist only then.
                raise Unauthorized(error.message) from None
            message = (
                INVALID_PAIRING_CODE
                if error.message == PairingError.INVALID_CODE
                else error.message
            )
            raise Unprocessable(message) from None
        return Response(ObserveeSerializer(student, context=_context(request, request.user)).data)


class ObserveeView(APIView):
    """R6 GET, R7 PUT (admins link by id), R8 DELETE: /users/:user_id/observees/:observee_id."""

    @extend_schema(
        parameters=[USER_REF, OBSERVEE_REF], responses={200: ObserveeSerializer, **errors(401, 404)}
    )
    def get(self, request, user_ref: str, observee_id: str):
        observer = get_observed_party_for_caller(request.user, user_ref)
        pair = (observer.pk, user_id_for_ref(request.user, observee_id))
        student = get_observer_link_for_user(request.user, pair=pair).student
        return Response(
            ObserveeSerializer(student, context=_context(request, request.user, student)).data
        )

    @extend_schema(
        parameters=[USER_REF, OBSERVEE_REF],
        request=form_body(
            "LinkObservee", {"root_account_id": serializers.CharField(required=False)}
        ),
        responses={200: ObserveeSerializer, **errors(400, 401, 404)},
    )
    def put(self, request, user_ref: str, observee_id: str):
        observer = get_user_for_caller(request.user, user_ref)
        student = get_user_for_caller(request.user, observee_id)
        try:
            observer_link_create_by_admin(
                observer=observer, student=student, by=request.user, source=ObserverLinkSource.API
            )
        except PairingError as error:
            if error.message == PairingError.NOT_ALLOWED_TO_LINK_BY_ID:
                raise Unauthorized() from None
            raise BadRequest(error.message) from None
        return Response(
            ObserveeSerializer(student, context=_context(request, request.user, student)).data
        )

    @extend_schema(
        parameters=[USER_REF, OBSERVEE_REF],
        request=None,
        responses={200: ObserveeSerializer, **errors(401, 404)},
    )
    def delete(self, request, user_ref: str, observee_id: str):
        observer = get_observed_party_for_caller(request.user, user_ref)
        pair = (observer.pk, user_id_for_ref(request.user, observee_id))
        link = get_observer_link_for_user(request.user, pair=pair)
        try:
            observer_link_remove(link=link, by=request.user)
        except PairingError:
            raise Http404 from None  # removed a moment ago by another request
        return Response(
            ObserveeSerializer(link.student, context=_context(request, request.user)).data
        )


class ObserversView(APIView):
    """R9: GET /users/:user_id/observers (the student, or an observer admin)."""

    @extend_schema(
        parameters=[USER_REF, INCLUDE, *PAGE],
        responses={200: ObserveeSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, user_ref: str):
        student = get_observed_party_for_caller(request.user, user_ref)
        return _people_response(request, linked_observers_of(student=student))


class ObserverView(APIView):
    """GET /users/:user_id/observers/:observer_id: 404 unless the link exists."""

    @extend_schema(
        parameters=[USER_REF, user_parameter("observer_id")],
        responses={200: ObserveeSerializer, **errors(401, 404)},
    )
    def get(self, request, user_ref: str, observer_id: str):
        student = get_observed_party_for_caller(request.user, user_ref)
        pair = (user_id_for_ref(request.user, observer_id), student.pk)
        link = get_observer_link_for_user(request.user, pair=pair)
        return Response(
            ObserveeSerializer(link.observer, context=_context(request, request.user)).data
        )


def course_list_response(request, user: User):
    courses = current_courses_of(user=user)
    return paginated_response(
        request,
        courses,
        lambda page: CourseSerializer(page, many=True, context={"request": request}).data,
    )


class CurrentUserCoursesView(APIView):
    """R10: GET /courses, the caller's current courses in any role (observers' linked ones too)."""

    @extend_schema(
        parameters=PAGE,
        responses={200: CourseSerializer(many=True), **errors(401)},
    )
    def get(self, request):
        return course_list_response(request, request.user)


class UserCoursesView(APIView):
    """R11: GET /users/:user_id/courses, for the user, their linked observers and admins."""

    @extend_schema(
        parameters=[USER_REF, *PAGE],
        responses={200: CourseSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, user_ref: str):
        user = get_user_for_caller(request.user, user_ref)
        require_may_read_courses_of(request.user, user)
        return course_list_response(request, user)


def enrollment_filters(request, queryset: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """``type[]`` and ``state[]`` filters; without ``state[]``, active and invited only."""
    states = request.query_params.getlist("state[]") or list(CURRENT_ENROLLMENT_STATES)
    queryset = queryset.filter(state__in=states)
    types = request.query_params.getlist("type[]") or request.query_params.getlist("role[]")
    if types:
        queryset = queryset.filter(type__in=types)
    return queryset


class UserEnrollmentsView(APIView):
    """R12: GET /users/:user_id/enrollments."""

    @extend_schema(
        parameters=[USER_REF, STATES, TYPES, *PAGE],
        responses={200: EnrollmentSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, user_ref: str):
        user = get_user_for_caller(request.user, user_ref)
        require_self_or_admin(request.user, user)
        enrollments = enrollment_filters(
            request, Enrollment.objects.filter(user=user).select_related("course", "user")
        ).order_by("id")
        context = _context(request, request.user, user)
        return paginated_response(
            request,
            enrollments,
            lambda page: EnrollmentSerializer(page, many=True, context=context).data,
        )


TRUE_VALUES = {"true", "1", "yes", "on"}  # how Canvas clients send a boolean form field


class AccountUsersView(APIView):
    """POST /accounts/:account_id/users: an admin creates a user who logs in with an e-mail."""

    @extend_schema(
        parameters=[ACCOUNT_REF],
        request=form_body(
            "CreateUser",
            {
                "user[name]": serializers.CharField(),
                "user[short_name]": serializers.CharField(required=False),
                "user[sortable_name]": serializers.CharField(required=False),
                "pseudonym[unique_id]": serializers.EmailField(),
                "pseudonym[password]": serializers.CharField(required=False),
                "pseudonym[sis_user_id]": serializers.CharField(required=False),
                "pseudonym[send_confirmation]": serializers.BooleanField(required=False),
            },
        ),
        responses={200: UserSerializer, **errors(400, 401, 404)},
    )
    def post(self, request, account_id: str):
        caller = request.user
        institution = get_institution_for_user(
            caller, account_id_for_ref(caller, account_id), write=True
        )
        name = (request.data.get("user[name]") or "").strip()
        email = (request.data.get("pseudonym[unique_id]") or "").strip()
        password = request.data.get("pseudonym[password]") or None
        if not name or not email:
            raise BadRequest("user[name] and pseudonym[unique_id] are required.")
        # Canvas: "send the user a notification of their account". Here: an invitation to choose
        # a password, for an account made without one.
        invite = str(request.data.get("pseudonym[send_confirmation]", "")).lower() in TRUE_VALUES
        try:
            with transaction.atomic():
                user = user_create(
                    institution=institution,
                    email=email,
                    name=name,
                    password=password,
                    short_name=request.data.get("user[short_name]"),
                    sortable_name=request.data.get("user[sortable_name]"),
                    sis_user_id=request.data.get("pseudonym[sis_user_id]"),
                )
                if invite and password is None:
                    invitation_create(
                        person=user, by=caller, base_url=request.build_absolute_uri("/")
                    )
        except AccountError as error:
            raise BadRequest(error.message) from None
        return Response(UserSerializer(user, context=_context(request, caller, user)).data)
