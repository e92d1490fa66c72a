"""What every page's layout needs: the school whose look it carries, and the global navigation."""

from functools import cached_property

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.models import Institution
from accounts.navigation import account_navigation
from accounts.selectors import institution_for_host


class Brand:
    """The school a page is shown for: its name, logo and colour (blank: the portal's own).

    Looked up only when a template asks (the 503 page, shown while the database is away, never
    does)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def institution(self) -> Institution | None:
        return institution_of(self._request)

    @property
    def name(self) -> str:
        return self.institution.display if self.institution else ""

    @property
    def logo_url(self) -> str:
        institution = self.institution
        if institution is None or not institution.logo:
            return ""
        # The file's name changes with each new logo: the address may be cached for ever.
        version = institution.logo.name.rsplit("-", 1)[-1].split(".")[0]
        return f"{reverse('institution_logo', args=[institution.pk])}?v={version}"

    @property
    def stylesheet_url(self) -> str:
        institution = self.institution
        if institution is None or not institution.brand_color:
            return ""
        colour = institution.brand_color.lstrip("#")
        return f"{reverse('institution_brand_css', args=[institution.pk])}?v={colour}"


def institution_of(request: HttpRequest) -> Institution | None:
    """The reader's institution, or for visitors the one this host serves (once a request)."""
    if not hasattr(request, "_portal_institution"):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            institution = user.institution
        else:
            institution = institution_for_host(request.get_host())
        request._portal_institution = institution
    return request._portal_institution


def portal(request: HttpRequest) -> dict:
    # Both lazy: looked up only by pages that show them (never by the 503 page, for instance).
    return {
        "brand": Brand(request),
        "account_nav": SimpleLazyObject(lambda: account_navigation(request)),
    }
