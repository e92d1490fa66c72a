"""Course routes of the API: a course, its users and enrollments, course-only observers."""

from django.db.models import Prefetch, Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import permissions_for
from accounts.roles import COURSE_ROLES_BY_NAME, Permission, Role
from api.access import get_course_for_caller, user_id_for_ref
from api.errors import BadRequest, Unauthorized
from api.pagination import paginated_response
from api.schema import COURSE_REF, INCLUDE, PAGE, STATES, TYPES, errors, form_body, user_parameter
from api.serializers import CourseSerializer, EnrollmentSerializer, UserSerializer
from api.views_users import enrollment_filters
from courses.access import sees_all_observers, visible_enrollments
from courses.models import Enrollment, EnrollmentState
from pairing.access import get_member_of_course
from pairing.errors import PairingError
from pairing.services import course_observer_add, course_observer_remove

# canvasapi's enrollment_type[] values and what they mean here.
ENROLLMENT_TYPES = COURSE_ROLES_BY_NAME
# Enrollment.deactivate(task) of canvasapi, and the state each task leaves.
TASK_STATES = {
    "delete": EnrollmentState.DELETED,
    "deactivate": EnrollmentState.INACTIVE,
    "inactivate": EnrollmentState.INACTIVE,
    "conclude": EnrollmentState.COMPLETED,
}


def _roster_context(request, course) -> dict:
    permissions = permissions_for(request.user, course=course)
    return {
        "request": request,
        "include": request.query_params.getlist("include[]"),
        "show_logins": Permission.ALLOW_COURSE_ADMIN_ACTIONS in permissions,
        # Which enrollments the caller may see at all: observers only for those who manage them.
        "visible": visible_enrollments(request.user, all_observers=sees_all_observers(permissions)),
    }


class CourseView(APIView):
    """R13: GET /courses/:id, for people enrolled in it and admins."""

    @extend_schema(parameters=[COURSE_REF], responses={200: CourseSerializer, **errors(401, 404)})
    def get(self, request, course_id: str):
        course = get_course_for_caller(request.user, course_id)
        return Response(CourseSerializer(course, context={"request": request}).data)


class CourseUsersView(APIView):
    """R14: GET /courses/:id/search_users (and /users): each enrolled user once, by name."""

    @extend_schema(
        parameters=[
            COURSE_REF,
            OpenApiParameter(
                "enrollment_type[]", OpenApiTypes.STR, many=True, enum=list(ENROLLMENT_TYPES)
            ),
            OpenApiParameter("search_term", OpenApiTypes.STR),
            INCLUDE,
            *PAGE,
        ],
        responses={200: UserSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request, course_id: str):
        course = get_course_for_caller(request.user, course_id, roster=True)
        context = _roster_context(request, course)
        enrollments = Enrollment.objects.current().filter(course=course).filter(context["visible"])
        wanted = request.query_params.getlist("enrollment_type[]")
        if wanted:
            unknown = [value for value in wanted if value not in ENROLLMENT_TYPES]
            if unknown:
                raise BadRequest(f"Unknown enrollment_type: {', '.join(unknown)}")
            enrollments = enrollments.filter(type__in=[ENROLLMENT_TYPES[v] for v in wanted])
        users = User.objects.filter(pk__in=enrollments.values("user_id"))
        term = (request.query_params.get("search_term") or "").strip()
        if term:
            # Logins and SIS ids are searchable only by those who may see them.
            matches = Q(name__icontains=term)
            if context["show_logins"]:
                matches |= Q(email__icontains=term) | Q(sis_user_id=term)
            users = users.filter(matches)
        if "enrollments" in context["include"]:
            users = users.prefetch_related(
                Prefetch(
                    "enrollments",
                    queryset=enrollments.select_related("course").order_by("id"),
                    to_attr="course_enrollments",
                )
            )
        users = users.order_by("sortable_name", "id")

        def serialize(page):
            data = UserSerializer(page, many=True, context=context).data
            if "enrollments" in context["include"]:
                for row, user in zip(data, page, strict=True):
                    row["enrollments"] = EnrollmentSerializer(
                        user.course_enrollments, many=True, context={**context, "include": []}
                    ).data
            return data

        return paginated_response(request, users, serialize)


class CourseUserView(APIView):
    """R15: GET /courses/:course_id/users/:id; 404 unless the user is enrolled there."""

    @extend_schema(
        parameters=[COURSE_REF, user_parameter("user_id")],
        responses={200: UserSerializer, **errors(401, 404)},
    )
    def get(self, request, course_id: str, user_id: str):
        course = get_course_for_caller(request.user, course_id, roster=True)
        user = get_member_of_course(request.user, course, user_id_for_ref(request.user, user_id))
        return Response(UserSerializer(user, context=_roster_context(request, course)).data)


class CourseEnrollmentsView(APIView):
    """R16: GET /courses/:id/enrollments. R17: POST, a one-off observer enrollment."""

    @extend_schema(
        parameters=[
            COURSE_REF,
            TYPES,
            STATES,
            OpenApiParameter("user_id", OpenApiTypes.INT),
            INCLUDE,
            *PAGE,
        ],
        responses={200: EnrollmentSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request, course_id: str):
        course = get_course_for_caller(request.user, course_id, roster=True)
        context = _roster_context(request, course)
        enrollments = enrollment_filters(
            request,
            Enrollment.objects.filter(course=course)
            .filter(context["visible"])
            .select_related("course", "user"),
        )
        user_id = request.query_params.get("user_id")
        if user_id is not None:
            if not user_id.isdigit():
                raise BadRequest("user_id must be a number.")
            enrollments = enrollments.filter(user_id=int(user_id))
        return paginated_response(
            request,
            enrollments.order_by("id"),
            lambda page: EnrollmentSerializer(page, many=True, context=context).data,
        )

    @extend_schema(
        parameters=[COURSE_REF],
        request=form_body(
            "CreateEnrollment",
            {
                "enrollment[type]": serializers.ChoiceField(choices=["ObserverEnrollment"]),
                "enrollment[user_id]": serializers.IntegerField(),
                "enrollment[associated_user_id]": serializers.IntegerField(),
                "enrollment[enrollment_state]": serializers.CharField(required=False),
            },
        ),
        responses={200: EnrollmentSerializer, **errors(400, 401, 404)},
    )
    def post(self, request, course_id: str):
        course = get_course_for_caller(request.user, course_id, roster=True)
        data = request.data
        kind = data.get("enrollment[type]") or "ObserverEnrollment"
        if kind != Role.OBSERVER:
            raise BadRequest("Only ObserverEnrollment can be created through this API.")
        observer = self._member_of(course, data.get("enrollment[user_id]"), "enrollment[user_id]")
        student = self._member_of(
            course, data.get("enrollment[associated_user_id]"), "enrollment[associated_user_id]"
        )
        try:
            enrollment = course_observer_add(
                course=course, observer=observer, student=student, by=request.user
            )
        except PairingError as error:
            if error.message == PairingError.NOT_ALLOWED_TO_LINK:
                raise Unauthorized() from None
            raise BadRequest(error.message) from None
        enrollment = Enrollment.objects.select_related("course", "user").get(pk=enrollment.pk)
        return Response(
            EnrollmentSerializer(enrollment, context=_roster_context(request, course)).data
        )

    @staticmethod
    def _member_of(course, raw, field: str) -> User:
        if raw is None or not str(raw).isdigit():
            raise BadRequest(f"{field} is required and must be a user id.")
        user = User.objects.filter(
            pk=int(raw), institution_id=course.institution_id, is_active=True
        ).first()
        if user is None:
            raise Http404
        return user


class CourseEnrollmentView(APIView):
    """R18: DELETE /courses/:course_id/enrollments/:id with task=delete (or conclude, inactivate)."""

    @extend_schema(
        parameters=[COURSE_REF],
        request=form_body(
            "EndEnrollment",
            {"task": serializers.ChoiceField(choices=list(TASK_STATES), required=False)},
        ),
        responses={200: EnrollmentSerializer, **errors(400, 401, 404)},
    )
    def delete(self, request, course_id: str, enrollment_id: int):
        course = get_course_for_caller(request.user, course_id, roster=True)
        enrollment = (
            Enrollment.objects.select_related("course", "user", "associated_user")
            .filter(pk=enrollment_id, course=course)
            .first()
        )
        if enrollment is None:
            raise Http404
        task = request.data.get("task") or "delete"
        if task not in TASK_STATES:
            raise BadRequest(
                f"Unknown task {task!r}: use delete, conclude, inactivate or deactivate."
            )
        if enrollment.type != Role.OBSERVER:
            # Students, teachers and the rest are managed in the portal and by SIS imports.
            raise Unauthorized()
        try:
            enrollment = course_observer_remove(
                enrollment=enrollment, by=request.user, state=TASK_STATES[task]
            )
        except PairingError:
            raise Unauthorized() from None
        enrollment = Enrollment.objects.select_related("course", "user").get(pk=enrollment.pk)
        return Response(
            EnrollmentSerializer(enrollment, context=_roster_context(request, course)).data
        )
