"""The SIS Import pages: upload a file, read the history, follow an import and read its outcome."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_institution_for_user
from accounts.audit import current_context
from pairing_portal.middleware import accepts_bodies_up_to
from rostering.access import get_sis_import_for_user
from rostering.forms import SisImportForm
from rostering.models import SisImport, SisImportState, SisImportType
from rostering.selectors import sis_imports_of
from rostering.sis_csv import MAX_FILE_BYTES
from rostering.sis_import import (
    sis_import_cancel,
    sis_import_confirm_removals,
    sis_import_options,
    sis_import_request,
)

IMPORTS_PER_PAGE = 20


# The largest file, plus room for the form's other fields and the multipart framing; a file over
# MAX_FILE_BYTES but under this gets the form's own message.
@accepts_bodies_up_to(MAX_FILE_BYTES + 1024 * 1024)
@require_http_methods(["GET", "POST"])
@login_required
def sis_imports(request, institution_id: int):
    institution = get_institution_for_user(request.user, institution_id, write=True)
    form = SisImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        record = sis_import_request(
            institution=institution,
            filename=upload.name,
            upload=upload,
            by=request.user,
            dry_run=form.cleaned_data["dry_run"],
            import_type=form.cleaned_data["import_type"],
            language=get_language(),
            client_address=current_context().client_address,
            options=sis_import_options(
                send_invitations=form.cleaned_data["send_invitations"],
                base_url=request.build_absolute_uri("/"),
                **_oneroster_options(form),
            ),
        )
        messages.success(request, gettext("Your import has started."))
        return redirect("sis_import_detail", institution.pk, record.pk)
    page = Paginator(sis_imports_of(institution=institution), IMPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "rostering/sis_imports.html",
        {"institution": institution, "form": form, "page": page},
    )


def _oneroster_options(form: SisImportForm) -> dict:
    if form.cleaned_data["import_type"] != SisImportType.ONEROSTER_CSV:
        return {}
    return {
        "oneroster_admins": form.cleaned_data["oneroster_admins"],
        "oneroster_sis_id": "identifier" if form.cleaned_data["oneroster_identifier"] else "",
    }


@require_POST
@login_required
def sis_import_confirm(request, institution_id: int, import_id: int):
    """Confirm the removals a OneRoster bulk file stopped for: the import runs, removing them."""
    record = get_sis_import_for_user(request.user, institution_id, import_id)
    if sis_import_confirm_removals(record=record, by=request.user):
        messages.success(
            request, gettext("The import runs again, removing what it no longer lists.")
        )
    else:
        messages.error(request, gettext("This import is not waiting for a confirmation."))
    return redirect("sis_import_detail", record.institution.pk, record.pk)


@require_POST
@login_required
def sis_import_cancel_view(request, institution_id: int, import_id: int):
    """Cancel an import that stopped for its removals: nothing is changed."""
    record = get_sis_import_for_user(request.user, institution_id, import_id)
    if sis_import_cancel(record=record):
        messages.success(request, gettext("The import was cancelled; nothing was changed."))
    else:
        messages.error(request, gettext("This import is not waiting for a confirmation."))
    return redirect("sis_import_detail", record.institution.pk, record.pk)


@require_GET
@login_required
def sis_import_detail(request, institution_id: int, import_id: int):
    record = get_sis_import_for_user(request.user, institution_id, import_id)
    return render(
        request,
        "rostering/sis_import_detail.html",
        {"institution": record.institution, "record": record, "label": _status_label(record)},
    )


@require_GET
@login_required
@never_cache
def sis_import_status(request, institution_id: int, import_id: int):
    """What the import's page polls while it runs (static/js/import-progress.js)."""
    record = get_sis_import_for_user(request.user, institution_id, import_id)
    return JsonResponse(
        {
            "state": record.state,
            "finished": record.finished,
            "percent": record.percent,
            "label": _status_label(record),
            "files": [
                {"file": entry["file"], "done": entry["done"], "total": entry["total"]}
                for entry in record.progress
            ],
        }
    )


def _status_label(record: SisImport) -> str:
    """What the page's status region says: coarse (a tenth at a time), so that a screen reader
    is not read every row; the table of files beside it has the exact numbers."""
    if record.finished:
        return gettext("Finished.")
    if record.state == SisImportState.QUEUED:
        return gettext("Waiting to start…")
    if record.state == SisImportState.WAITING:
        return gettext("Waiting for your confirmation.")
    entries = record.progress
    if not entries:
        return gettext("Reading the file…")
    index, entry = next(
        ((i, e) for i, e in enumerate(entries) if e["done"] < e["total"]),
        (len(entries) - 1, entries[-1]),
    )
    tenths = entry["done"] * 10 // max(entry["total"], 1) * 10
    return gettext(
        "Importing %(file)s (file %(number)s of %(count)s): %(percent)s %% of its rows done."
    ) % {"file": entry["file"], "number": index + 1, "count": len(entries), "percent": tenths}
