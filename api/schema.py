"""Pieces of the OpenAPI description (drf-spectacular) that the views share."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token from User Settings.",
        }


ErrorBody = inline_serializer(
    name="Error",
    fields={
        "status": serializers.CharField(required=False),
        "altcha_challenge": serializers.JSONField(
            required=False, help_text="A proof of work to solve (with a 429): ALTCHA v2."
        ),
        "errors": serializers.ListField(
            child=inline_serializer(
                name="ErrorMessage", fields={"message": serializers.CharField()}
            )
        ),
    },
)


def errors(*codes: int) -> dict:
    meaning = {
        400: "A parameter is missing or wrong.",
        401: "No valid token (with WWW-Authenticate), or no right to do this (without it).",
        404: "No such resource, or not visible to the caller.",
        422: "The pairing code is invalid, expired or used.",
        429: (
            "Too many wrong codes: paused until Retry-After; or, while the institution is under "
            "attack, a proof of work is asked for: solve `altcha_challenge` (ALTCHA) and send the "
            "request again with the solution as `altcha`."
        ),
    }
    return {code: OpenApiResponse(ErrorBody, description=meaning[code]) for code in codes}


def user_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        pattern=r"^(self|[0-9]+|sis_user_id:[^/]+)$",
        description="A user id, `self` for the caller, or `sis_user_id:` and an SIS id of the "
        "caller's institution.",
    )


USER_REF = user_parameter("user_ref")
COURSE_REF = OpenApiParameter(
    "course_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^([0-9]+|sis_course_id:[^/]+)$",
    description="A course id, or `sis_course_id:` and an SIS id of the caller's institution.",
)
ACCOUNT_REF = OpenApiParameter(
    "account_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^(self|[0-9]+)$",
    description="An institution's id (Canvas's root account), or `self` for the caller's.",
)
PAGE = [
    OpenApiParameter(
        "per_page", OpenApiTypes.INT, description="Items per page, 1 to 100 (default 10)."
    ),
    OpenApiParameter(
        "page", OpenApiTypes.INT, description="1-based page number; follow the Link header."
    ),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description="RFC 8288 links to the next and other pages, as absolute URLs.",
    ),
]
INCLUDE = OpenApiParameter(
    "include[]", OpenApiTypes.STR, many=True, description="Extra fields, e.g. avatar_url."
)
STATES = OpenApiParameter(
    "state[]",
    OpenApiTypes.STR,
    many=True,
    enum=["active", "invited", "inactive", "completed", "deleted"],
    description="Enrollment states; default active and invited.",
)
TYPES = OpenApiParameter(
    "type[]",
    OpenApiTypes.STR,
    many=True,
    enum=[
        "StudentEnrollment",
        "TeacherEnrollment",
        "TaEnrollment",
        "DesignerEnrollment",
        "ObserverEnrollment",
    ],
)


def form_body(name: str, fields: dict) -> dict:
    """A form-encoded request body with bracketed field names, as canvasapi sends them."""
    return {"application/x-www-form-urlencoded": inline_serializer(name=name, fields=fields)}
