"""The navigation beside a page's content: a course's (Canvas's Course Navigation) or an
institution's admin pages (Account Navigation). base.html draws whichever the page has."""

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_institution_admin, user_has_permission
from accounts.roles import Permission


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str
    current: bool = False


@dataclass(frozen=True)
class SideNav:
    label: str  # the landmark's accessible name
    title: str  # shown above the links
    items: list[NavItem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items)


# Account Navigation: (its key, the label, the URL name, the icon); pages under each key.
ACCOUNT_PAGES = [
    ("admin", _("Overview"), "institution_admin", "shield"),
    ("users", _("Users and observers"), "institution_users", "users"),
    ("authentication", _("Authentication"), "institution_authentication", "lock"),
    ("permissions", _("Permissions"), "institution_permissions", "key-round"),
    ("branding", _("Branding"), "institution_branding", "palette"),
    ("sis", _("SIS Import"), "sis_imports", "file-up"),
    ("exports", _("Export pairing codes for the school"), "code_exports", "download"),
    ("audit", _("Audit trail"), "institution_audit", "scroll-text"),
]
CURRENT_ACCOUNT_PAGE = {
    "institution_admin": "admin",
    "institution_users": "users",
    "institution_user": "users",
    "institution_authentication": "authentication",
    "institution_pairing_settings": "authentication",
    "institution_audit_retention": "authentication",
    "institution_permissions": "permissions",
    "institution_branding": "branding",
    "sis_imports": "sis",
    "sis_import_detail": "sis",
    "code_exports": "exports",
    "code_export": "exports",
    "institution_audit": "audit",
}


def account_navigation(request: HttpRequest) -> SideNav | None:
    """Account Navigation on an institution's admin pages, for that institution's admins."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated:
        return None
    if match.url_name not in CURRENT_ACCOUNT_PAGE:
        return None
    institution_id = match.kwargs.get("institution_id")
    if institution_id is None or not is_institution_admin(user, institution_id):
        return None
    current = CURRENT_ACCOUNT_PAGE[match.url_name]
    may_export = user_has_permission(user, Permission.GENERATE_OBSERVER_PAIRING_CODE)
    items = [
        NavItem(label, reverse(name, args=[institution_id]), icon, current=key == current)
        for key, label, name, icon in ACCOUNT_PAGES
        if key != "exports" or may_export
    ]
    return SideNav(label=_("Account Navigation"), title=_("Admin"), items=items)
