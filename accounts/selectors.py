"""Reads of institutions and users."""

from accounts.models import Institution


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
