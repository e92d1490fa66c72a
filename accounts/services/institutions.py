"""Institutions: making one, its settings, and its table of permissions."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import AccountError, SignInError
from accounts.models import (
    MAX_AUDIT_RETENTION_YEARS,
    MAX_CODE_LIFETIME_DAYS,
    MIN_AUDIT_RETENTION_YEARS,
    MIN_CODE_LIFETIME_DAYS,
    AuditAction,
    Institution,
    RolePermission,
    SelfRegistration,
    User,
)
from accounts.permissions import is_platform_operator, may_administer
from accounts.roles import PERMISSION_RULES, Permission, Role
from accounts.services.users import user_create

# A host name: labels of letters, digits and hyphens, dot-separated (no scheme, port or path).
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


def institution_create(
    *,
    name: str,
    self_registration: SelfRegistration = SelfRegistration.NONE,
    domain: str | None = None,
) -> Institution:
    name = name.strip()
    if not name:
        raise SignInError(SignInError.INSTITUTION_NAME_REQUIRED)
    domain = (domain or "").strip().lower() or None
    if domain is not None and not HOST_NAME.fullmatch(domain):
        raise SignInError(SignInError.DOMAIN_INVALID)
    if Institution.objects.filter(name__iexact=name).exists():
        raise SignInError(SignInError.INSTITUTION_NAME_TAKEN)
    if domain is not None and Institution.objects.filter(domain=domain).exists():
        raise SignInError(SignInError.DOMAIN_TAKEN)
    try:
        with transaction.atomic():
            return Institution.objects.create(
                name=name, self_registration=SelfRegistration(self_registration), domain=domain
            )
    except IntegrityError:  # another request made the same institution just now
        raise SignInError(SignInError.INSTITUTION_NAME_TAKEN) from None


@transaction.atomic
def institution_set_up(
    *,
    name: str,
    admin_email: str,
    admin_name: str = "",
    domain: str | None = None,
    self_registration: SelfRegistration = SelfRegistration.NONE,
    by: User | None,
) -> tuple[Institution, User]:
    """A new institution and its first account admin, who has no password yet: an invitation
    (accounts.services.invitations) lets them set one. For platform operators (``by`` a
    superuser) and the `create_institution` command (``by=None``) only."""
    if by is not None and not is_platform_operator(by):
        raise AccountError(AccountError.NOT_AN_ADMIN)
    institution = institution_create(name=name, self_registration=self_registration, domain=domain)
    admin = user_create(
        institution=institution,
        email=admin_email,
        name=admin_name.strip() or admin_email.strip().split("@")[0],
        is_account_admin=True,
    )
    audit_record(
        action=AuditAction.INSTITUTION_CREATED,
        institution=institution,
        actor=by,
        subject=admin,
        details={"name": institution.name, "domain": institution.domain},
    )
    return institution, admin


def institution_self_registration_set(
    *, institution: Institution, value: SelfRegistration, by: User | None
) -> Institution:
    require_admin_of(institution, by)
    before = institution.self_registration
    institution.self_registration = SelfRegistration(value)
    institution.save(update_fields=["self_registration"])
    if before != institution.self_registration:
        audit_record(
            action=AuditAction.SELF_REGISTRATION_CHANGED,
            institution=institution,
            actor=by,
            details={"from": before, "to": institution.self_registration},
        )
    return institution


def institution_pairing_settings_set(
    *,
    institution: Institution,
    code_lifetime_days: int,
    students_may_remove_observers: bool,
    by: User | None,
) -> Institution:
    """How long new pairing codes last (1 to 30 days) and whether students may remove their own
    observers. Codes already made keep the expiry they were made with."""
    require_admin_of(institution, by)
    if not MIN_CODE_LIFETIME_DAYS <= code_lifetime_days <= MAX_CODE_LIFETIME_DAYS:
        raise AccountError(AccountError.CODE_LIFETIME_OUT_OF_RANGE)
    wanted = {
        "pairing_code_lifetime_days": code_lifetime_days,
        "students_may_remove_observers": students_may_remove_observers,
    }
    before = {field: getattr(institution, field) for field in wanted}
    changed = [field for field, value in wanted.items() if before[field] != value]
    if changed:
        for field in changed:
            setattr(institution, field, wanted[field])
        institution.save(update_fields=changed)
        audit_record(
            action=AuditAction.PAIRING_SETTINGS_CHANGED,
            institution=institution,
            actor=by,
            details={field: {"from": before[field], "to": wanted[field]} for field in changed},
        )
    return institution


def institution_audit_retention_set(
    *, institution: Institution, years: int | None, by: User | None
) -> Institution:
    """How many years (1 to 7) the audit trail keeps its entries; None keeps them all (the
    default). Older entries go at the next nightly housekeeping (accounts.tasks)."""
    require_admin_of(institution, by)
    if years is not None and not MIN_AUDIT_RETENTION_YEARS <= years <= MAX_AUDIT_RETENTION_YEARS:
        raise AccountError(AccountError.AUDIT_RETENTION_OUT_OF_RANGE)
    before = institution.audit_retention_years
    if before != years:
        institution.audit_retention_years = years
        institution.save(update_fields=["audit_retention_years"])
        audit_record(
            action=AuditAction.AUDIT_RETENTION_CHANGED,
            institution=institution,
            actor=by,
            details={"from": before, "to": years},
        )
    return institution


@transaction.atomic
def role_permission_set(
    *,
    institution: Institution,
    role: Role,
    permission: Permission,
    enabled: bool,
    by: User | None,
) -> RolePermission:
    """Switch ``permission`` on or off for ``role`` at ``institution``.

    ``by=None`` is for set-up commands (seed_demo, a SIS import run by an operator); a person must be
    an admin of the institution.
    """
    require_admin_of(institution, by)
    if role not in PERMISSION_RULES[permission].configurable_roles:
        raise AccountError(AccountError.PERMISSION_NOT_CONFIGURABLE)
    row, _created = RolePermission.objects.update_or_create(
        institution=institution,
        role=role,
        permission=permission,
        defaults={"enabled": enabled, "updated_by": by, "updated_at": timezone.now()},
    )
    audit_record(
        action=AuditAction.PERMISSION_CHANGED,
        institution=institution,
        actor=by,
        details={"role": str(role), "permission": str(permission), "enabled": enabled},
    )
    return row


def require_admin_of(institution: Institution, by: User | None) -> None:
    if by is not None and not may_administer(by, institution.pk):
        raise AccountError(AccountError.NOT_AN_ADMIN)
