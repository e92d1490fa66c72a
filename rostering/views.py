"""The SIS Import pages: upload a file, read the history, follow an import and read its outcome."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import get_institution_for_user
from accounts.audit import current_context
from pairing_portal.middleware import accepts_bodies_up_to
from rostering.access import get_sis_import_for_user
from rostering.forms import SisImportForm
from rostering.models import SisImport, SisImportState
from rostering.selectors import sis_imports_of
from rostering.sis_csv import MAX_FILE_BYTES
from rostering.sis_import import sis_import_options, sis_import_request

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
            language=get_language(),
            client_address=current_context().client_address,
            options=sis_import_options(
                send_invitations=form.cleaned_data["send_invitations"],
                base_url=request.build_absolute_uri("/"),
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
