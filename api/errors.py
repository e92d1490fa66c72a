"""Every API error is JSON in Canvas's shape: {"errors": [{"message": "..."}]}.

canvasapi tells the two 401s apart only by ``WWW-Authenticate``: present for a missing or bad token
(InvalidAccessToken), absent for a valid token without the right (Unauthorized).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND = "The specified resource does not exist."
NOT_AUTHORIZED = "user not authorized to perform that action"


class Unauthorized(exceptions.APIException):
    """A valid caller without the right: 401 *without* WWW-Authenticate, as Canvas answers."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = NOT_AUTHORIZED
    default_code = "unauthorized"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request could not be processed."
    default_code = "unprocessable"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request is missing something or has a bad value."
    default_code = "bad_request"


class ProofOfWorkRequired(exceptions.APIException):
    """429 with a challenge to solve: the caller sends the solution again as ``altcha``."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "proof_of_work_required"

    def __init__(self, message: str, *, challenge: dict) -> None:
        super().__init__(detail=message)
        self.challenge = challenge


def errors_body(message: str, **extra) -> dict:
    return {**extra, "errors": [{"message": message}]}


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [
            f"{key}: {m}" if key != "non_field_errors" else m
            for key, value in detail.items()
            for m in _messages(value)
        ]
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item)]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        return Response(errors_body(NOT_FOUND), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        exc = Unauthorized()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Unauthorized):
        response.data = errors_body(str(exc.detail), status="unauthorized")
    elif isinstance(exc, ProofOfWorkRequired):
        response.data = errors_body(str(exc.detail), altcha_challenge=exc.challenge)
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        message = (
            "user authorization required"
            if isinstance(exc, exceptions.NotAuthenticated)
            else str(exc.detail)
        )
        response.data = errors_body(message, status="unauthenticated")
    else:
        response.data = {"errors": [{"message": m} for m in _messages(exc.detail)]}
    return response
