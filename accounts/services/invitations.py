"""Invitations: how someone whose account was made without a password (an SIS import, the API, an
admin, `create_institution`) sets one and gets in.

An invitation is a row, made with the job that sends it (accounts.invitation_mail) in the same
transaction. The link's token is drawn only when the e-mail goes out, and only its SHA-256 is
kept: the token exists in that e-mail alone (or on the terminal of `create_institution
--print-link`), never in the job queue, the database or a log. It works once, for
settings.INVITATION_DAYS days; a newer invitation replaces the older ones of the person.

Nothing limits attempts at a link: its token carries 256 random bits, which nobody can guess or
search (as for API tokens), so a proof of work or a pause would only slow the invited person.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.audit import audit_record, audit_record_many
from accounts.errors import AccountError, SignInError
from accounts.models import AuditAction, Institution, Invitation, InvitationBatch, User
from accounts.permissions import is_institution_admin, is_platform_operator, may_administer
from accounts.services.invitation_links import invitations_withdraw, invitations_working
from accounts.services.users import password_policy_check
from pairing_portal.jobs import jobs_defer

INVITATION_TASK = "accounts.invitation_send"
BATCH_TASK = "accounts.invitation_batch"
BATCH_CHUNK = 500  # people per transaction of a batch: its progress moves, no lock is held long
INVITATION_PATH = "invitation/"
# Someone asking for an invitation themself ("Forgot your password?") gets one at most this often.
SELF_SERVICE_INTERVAL_SECONDS = 10 * 60


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(*, base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/{INVITATION_PATH}{token}"


def portal_base_url(institution: Institution) -> str:
    """The portal's address for an institution's links when no request tells it: its domain,
    else PORTAL_URL. (http on a developer's machine, whose runserver has no TLS.)"""
    if institution.domain:
        scheme = "http" if settings.DEBUG else "https"
        return f"{scheme}://{institution.domain}/"
    if settings.PORTAL_URL:
        return settings.PORTAL_URL.rstrip("/") + "/"
    raise SignInError(SignInError.NO_PORTAL_ADDRESS)


def _refusal_of(by: User | None) -> Case:
    """The one rule of who ``by`` may invite, as an SQL expression over people: why not (a
    SignInError message), or NULL where they may. invitation_refusal asks it of one person,
    invitable_people of a set (a batch, a roster import's new people).

    Only people without a password are invited (the others use "Forgot your password?"), and
    only active ones. An admin invites the people of their own institution, but not its admins:
    as with user_change_refusal, admins and operators are for platform operators (and commands,
    ``by`` None) to set up. The link goes to the person's own address, so nobody gets in through
    someone else's invitation.
    """
    refusals = [
        When(
            ~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX), then=Value(SignInError.HAS_PASSWORD)
        ),
        When(is_active=False, then=Value(SignInError.INACTIVE)),
    ]
    if by is not None and not is_platform_operator(by):
        refusals.append(
            When(
                Q(is_account_admin=True) | Q(is_staff=True) | Q(is_superuser=True),
                then=Value(SignInError.INVITE_ADMIN),
            )
        )
        if not is_institution_admin(by, by.institution_id):
            refusals.append(When(pk__isnull=False, then=Value(SignInError.INVITE_NOT_ALLOWED)))
        else:
            refusals.append(
                When(
                    Q(institution_id__isnull=True) | ~Q(institution_id=by.institution_id),
                    then=Value(SignInError.INVITE_NOT_ALLOWED),
                )
            )
    return Case(*refusals, default=Value(None), output_field=CharField())


def invitation_refusal(*, by: User | None, person: User) -> str | None:
    """Why ``by`` may not invite ``person`` (as stored now), or None: _refusal_of's rule."""
    return (
        User.objects.filter(pk=person.pk)
        .annotate(refusal=_refusal_of(by))
        .values_list("refusal", flat=True)
        .first()
    )


def invitable_people(people: QuerySet[User], *, by: User | None) -> QuerySet[User]:
    """Of ``people``, those ``by`` may invite (_refusal_of's rule) who have never signed in:
    whom a batch invites (someone who signs in through their school's provider needs no link)."""
    return people.alias(refusal=_refusal_of(by)).filter(
        refusal__isnull=True, last_login__isnull=True
    )


@transaction.atomic
def invitation_create(
    *, person: User, by: User | None, base_url: str = "", details: dict | None = None
) -> Invitation:
    """Invite ``person``: the row, the job that e-mails the link, and the audit event. Earlier
    invitations of the person stop working."""
    refusal = invitation_refusal(by=by, person=person)
    if refusal is not None:
        raise SignInError(refusal)
    invitations_withdraw(user_ids=[person.pk])
    invitation = Invitation.objects.create(user=person, invited_by=by, base_url=base_url)
    audit_record(
        action=AuditAction.INVITATION_SENT,
        institution=person.institution_id,
        actor=by,
        subject=person,
        details=details or {},
    )
    jobs_defer(INVITATION_TASK, [{"invitation_id": invitation.pk}])
    return invitation


@transaction.atomic
def invitation_link_issue(*, person: User, by: User | None, base_url: str = "") -> str:
    """Invite ``person`` by a link handed over by other means than e-mail (`create_institution
    --print-link`): returns the link, which works as an e-mailed one does."""
    refusal = invitation_refusal(by=by, person=person)
    if refusal is not None:
        raise SignInError(refusal)
    base_url = base_url or portal_base_url(person.institution)
    invitations_withdraw(user_ids=[person.pk])
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    Invitation.objects.create(
        user=person,
        invited_by=by,
        base_url=base_url,
        token_hash=token_digest(token),
        sent_to=person.email,
        sent_at=now,
        expires_at=now + Invitation.lifetime(),
    )
    audit_record(
        action=AuditAction.INVITATION_SENT,
        institution=person.institution_id,
        actor=by,
        subject=person,
        details={"delivered": "by hand"},
    )
    return invitation_link(base_url=base_url, token=token)


def invitation_request_for_login(*, email: str, base_url: str) -> None:
    """ "Forgot your password?" for an account that never had one: an invitation instead of a
    reset link. Says nothing either way (the page's words are the same for every address)."""
    person = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if person is None or person.has_usable_password():
        return
    recent = timezone.now() - timedelta(seconds=SELF_SERVICE_INTERVAL_SECONDS)
    if person.invitations.filter(created_at__gte=recent, invited_by__isnull=True).exists():
        return  # one on its way already: a stranger cannot flood the inbox
    invitation_create(
        person=person, by=None, base_url=base_url, details={"asked_for": "by themself"}
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link opens, while it works (unused, unexpired, not replaced)."""
    if not token or len(token) > 100:
        return None
    return (
        invitations_working()
        .select_related("user", "user__institution")
        .filter(token_hash=token_digest(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited person's password (the password policy applies) and spend the link; the
    caller logs them in. ``SignInError(LINK_INVALID)`` when the link does not work."""
    # Locked, so that two uses of one link at the same moment cannot both succeed; the person's
    # row too, so that a new login e-mail or a deactivation committing meanwhile is seen here
    # (PostgreSQL checks the conditions again on the locked rows' newest versions).
    invitation = (
        invitations_working()
        .select_for_update(of=("self", "user"))
        .select_related("user")
        .filter(token_hash=token_digest(token or ""))
        .first()
    )
    if invitation is None:
        raise SignInError(SignInError.LINK_INVALID)
    person = invitation.user
    password_policy_check(password=password, name=person.name, email=person.email)
    person.set_password(password)
    person.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    invitations_withdraw(user_ids=[person.pk])
    audit_record(
        action=AuditAction.INVITATION_ACCEPTED,
        institution=person.institution_id,
        actor=person,
        subject=person,
    )
    return person


# --- Many at once: a search result or a file ------------------------------------------------------


def invitation_batch_request(
    *,
    institution: Institution,
    people: QuerySet[User],
    described_as: str,
    by: User,
    base_url: str,
) -> InvitationBatch:
    """Invite those of ``people`` who have never signed in (invitable_people), by a job that
    makes their invitations a chunk at a time (``invitation_batch_run``)."""
    if not may_administer(by, institution.pk):
        raise AccountError(AccountError.NOT_AN_ADMIN)
    chosen = invitable_people(people.filter(institution=institution), by=by)
    ids = list(chosen.order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise SignInError(SignInError.NOBODY_TO_INVITE)
    with transaction.atomic():
        batch = InvitationBatch.objects.create(
            institution=institution,
            requested_by=by,
            described_as=described_as[:255],
            user_ids=ids,
            base_url=base_url,
        )
        jobs_defer(BATCH_TASK, [{"batch_id": batch.pk}])
    return batch


def invitation_batch_run(*, batch_id: int) -> InvitationBatch | None:
    """The batch's job: invite its people a chunk at a time, each chunk in a transaction that
    also moves its progress; everyone is checked again (they may have signed in since)."""
    while True:
        with transaction.atomic():
            # Locked: a second worker given the same job waits, then goes on from here.
            batch = (
                InvitationBatch.objects.select_for_update(of=("self",))
                .select_related("requested_by")
                .filter(pk=batch_id, finished_at__isnull=True)
                .first()
            )
            if batch is None:
                return None
            chunk = batch.user_ids[batch.looked_at : batch.looked_at + BATCH_CHUNK]
            if not chunk:
                batch.finished_at = timezone.now()
                batch.save(update_fields=["finished_at"])
                return batch
            people = User.objects.filter(pk__in=chunk, institution_id=batch.institution_id)
            ids = list(invitable_people(people, by=batch.requested_by).values_list("pk", flat=True))
            _invite_many(batch=batch, user_ids=ids)
            batch.looked_at += len(chunk)
            batch.invited += len(ids)
            batch.save(update_fields=["looked_at", "invited"])


def _invite_many(*, batch: InvitationBatch, user_ids: list[int]) -> None:
    invitations_create_many(
        institution_id=batch.institution_id,
        user_ids=user_ids,
        by=batch.requested_by,
        base_url=batch.base_url,
        batch=batch,
    )


def invitations_create_many(
    *,
    institution_id: int,
    user_ids: list[int],
    by: User | None,
    base_url: str,
    batch: InvitationBatch | None = None,
) -> None:
    """Invite people already checked against the rule (``invitable_people``: a batch's chunk, the
    people a roster import just made): their rows, audit events and e-mail jobs in one statement
    each, in the caller's transaction."""
    if not user_ids:
        return
    invitations_withdraw(user_ids=user_ids)
    made = Invitation.objects.bulk_create(
        Invitation(user_id=user_id, invited_by=by, batch=batch, base_url=base_url)
        for user_id in user_ids
    )
    audit_record_many(
        action=AuditAction.INVITATION_SENT,
        institution_id=institution_id,
        actor=by,
        entries=[(user_id, {"batch": batch.pk} if batch else {}) for user_id in user_ids],
    )
    jobs_defer(INVITATION_TASK, [{"invitation_id": invitation.pk} for invitation in made])


def invitable_new_people(
    *, institution_id: int, sis_user_ids: list[str], by: User | None
) -> list[int]:
    """Of the institution's people with these SIS ids, the ids of those ``by`` may invite and who
    have never signed in (a roster import's new people, for its "invite them" option)."""
    people = User.objects.filter(institution_id=institution_id, sis_user_id__in=sis_user_ids)
    return list(invitable_people(people, by=by).order_by("pk").values_list("pk", flat=True))


def invitation_batch_progress(*, batch: InvitationBatch) -> dict[str, int]:
    """How many of the batch's invitations went out, failed, and were accepted (one query)."""
    counts = batch.invitations.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        failed=Count("pk", filter=Q(gave_up_at__isnull=False)),
        accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
    )
    return {
        "total": batch.total,
        "looked_at": batch.looked_at,
        "invited": batch.invited,
        "skipped": batch.looked_at - batch.invited,
        **counts,
    }
