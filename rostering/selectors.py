"""Reads of roster imports, shaped for the pages that show them."""

from django.db.models import QuerySet

from accounts.models import Institution
from rostering.models import SisImport


def sis_imports_of(*, institution: Institution) -> QuerySet[SisImport]:
    """An institution's imports, newest first, with who ran each."""
    return SisImport.objects.filter(institution=institution).select_related("created_by")
