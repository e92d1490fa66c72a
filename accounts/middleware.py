import ipaddress
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.audit import audit_context, current_context
from accounts.models import ActAsSession, AuditSource
from accounts.services import act_as_refusal, act_as_stop
from accounts.sso import content_security_policy, providers_for_host, sign_in_failed
from accounts.time_zones import is_time_zone

SESSION_KEY = "act_as_session_id"


class ActAsMiddleware:
    """While an admin acts as someone, the portal sees that person: ``request.user`` is the subject,
    ``request.real_user`` the admin, ``request.act_as`` the ActAsSession (None otherwise).

    The right is checked again on every request, so taking it away ends the acting at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.act_as = None
        request.real_user = request.user
        session_id = request.session.get(SESSION_KEY)
        if session_id is not None and request.user.is_authenticated:
            self._apply(request, session_id)
        if request.act_as is None:
            return self.get_response(request)
        context = current_context()
        with audit_context(
            source=context.source,
            client_address=context.client_address,
            acting=(request.real_user.pk, request.user.pk),
        ):
            return self.get_response(request)

    def _apply(self, request, session_id: int) -> None:
        actor = request.user
        session = (
            ActAsSession.objects.select_related("subject", "subject__institution")
            .filter(pk=session_id, actor=actor, ended_at__isnull=True)
            .first()
        )
        if session is None or act_as_refusal(actor=actor, subject=session.subject) is not None:
            if session is not None:
                act_as_stop(session=session)
            del request.session[SESSION_KEY]
            return
        request.act_as = session
        request.user = session.subject


class UserTimeZoneMiddleware:
    """Dates and times in the zone the person reading chose in User Settings, else TIME_ZONE.

    While an admin acts as someone, the admin's own zone: it is their clock that reads the page.
    Not on the API, which answers in UTC.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)  # UTC there (api.middleware.LocaleMiddleware)
        reader = request.real_user
        zone = reader.time_zone if reader.is_authenticated else ""
        # A name the zone database no longer knows falls back to the default rather than failing.
        if not zone or not is_time_zone(zone):
            return self.get_response(request)
        with timezone.override(ZoneInfo(zone)):
            return self.get_response(request)


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the header a trusted proxy sets (settings)."""
    header = settings.CLIENT_ADDRESS_HEADER
    value = request.META.get(header) if header else None
    # A proxy appends the address it saw last; what comes before is the client's own claim.
    value = (value or request.META.get("REMOTE_ADDR") or "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


class AuditContextMiddleware:
    """Tells the audit trail and the attempt limits where this request comes from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = AuditSource.API if request.path.startswith("/api/") else AuditSource.PAGE
        with audit_context(source=source, client_address=client_address(request)):
            return self.get_response(request)


class SingleSignOnMiddleware:
    """Two things allauth's provider views need from the portal.

    Their "Continue" page (a provider's sign-in address opened directly) posts to the portal,
    which redirects to the provider: its CSP must let the form lead there (accounts.sso).

    allauth answers a provider's response that no sign-in of this browser is waiting for (a
    replayed SAML response, an answer meant for another browser) with a bare 403, and lets a
    provider out of reach raise, both through no adapter: recorded and shown here like every
    other failed sign-in.
    """

    LOGIN_VIEWS = {"saml_login", "openid_connect_login"}
    ANSWER_VIEWS = {"saml_acs", "saml_finish_acs", "openid_connect_callback"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None and match.url_name in self.LOGIN_VIEWS:
            policy = content_security_policy(providers_for_host(request))
            response.headers["Content-Security-Policy"] = policy
        return response

    def process_exception(self, request, exception):
        match = request.resolver_match
        if match is None:
            return None
        replayed = isinstance(exception, PermissionDenied) and match.url_name in self.ANSWER_VIEWS
        # A provider out of reach (its configuration, its token endpoint): a failed sign-in too.
        unreachable = isinstance(exception, requests.RequestException) and match.url_name in (
            self.LOGIN_VIEWS | self.ANSWER_VIEWS
        )
        if not (replayed or unreachable):
            return None
        provider = match.kwargs.get("organization_slug") or match.kwargs.get("provider_id")
        return sign_in_failed(
            request,
            provider_name=provider,
            details={
                "error": "no sign-in of this browser waits for this answer"
                if replayed
                else f"provider out of reach: {exception.__class__.__name__}"
            },
        )
