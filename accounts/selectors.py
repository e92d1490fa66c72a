"""Reads of institutions and users."""

from django.db.models import Q, QuerySet

from accounts.models import (
    ApiToken,
    AuditEvent,
    IdentityProvider,
    Institution,
    Invitation,
    InvitationBatch,
    User,
)


def institution_for_host(host: str) -> Institution | None:
    """The institution a visitor at ``host`` belongs to, as Canvas maps a domain to a root account.

    An institution whose ``domain`` is the host wins; a portal that serves a single institution
    needs no domain at all. With several institutions and no match there is none: nobody can tell
    which school's sign-up rules apply.
    """
    hostname = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
    match = Institution.objects.filter(domain=hostname).first()
    if match is not None:
        return match
    only_two = list(Institution.objects.all()[:2])
    return only_two[0] if len(only_two) == 1 else None


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens that have not been revoked, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def audit_events(
    *,
    institution_id: int,
    action: str = "",
    person: str = "",
    source: str = "",
    since=None,
    until=None,
) -> QuerySet[AuditEvent]:
    """The institution's audit trail, newest first, filtered as the admin asked."""
    events = AuditEvent.objects.filter(institution_id=institution_id)
    if action:
        events = events.filter(action=action)
    if source:
        events = events.filter(source=source)
    if person:
        events = events.filter(
            Q(actor__name__icontains=person)
            | Q(actor__email__icontains=person)
            | Q(subject__name__icontains=person)
            | Q(subject__email__icontains=person)
        )
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events.select_related("actor", "subject").order_by("-at", "-id")


def identity_providers_of(*, institution: Institution) -> QuerySet[IdentityProvider]:
    return (
        IdentityProvider.objects.filter(institution=institution)
        .select_related("app")
        .order_by("-is_default", "app__name", "id")
    )


def latest_invitation_of(*, user: User) -> Invitation | None:
    return Invitation.objects.filter(user=user).order_by("-created_at", "-id").first()


def recent_invitations(*, institution: Institution) -> QuerySet[Invitation]:
    """The institution's invitations, newest first, with the person each is for."""
    return (
        Invitation.objects.filter(user__institution=institution)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def invitation_batches_of(*, institution: Institution) -> QuerySet[InvitationBatch]:
    return InvitationBatch.objects.filter(institution=institution).order_by("-created_at", "-id")
