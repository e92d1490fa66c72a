"""District-wide exports of fresh codes: ask for one, watch it progress, download the file."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from pairing.access import get_code_export_for_user, get_institution_for_code_exports
from pairing.errors import PairingError
from pairing.forms import CodeExportForm, PairingLettersForm
from pairing.models import CodeExport, CodeExportFormat, CodeExportState
from pairing.services.exports import code_export_file, code_export_request

RECENT_EXPORTS = 20


@require_http_methods(["GET", "POST"])
@login_required
def code_exports(request, institution_id: int):
    institution = get_institution_for_code_exports(request.user, institution_id)
    form = CodeExportForm(
        request.POST or None,
        institution=institution,
        initial={"paper": PairingLettersForm.default_paper()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            export = code_export_request(
                institution=institution,
                by=request.user,
                courses=list(form.cleaned_data["courses"]),
                format=CodeExportFormat(form.cleaned_data["format"]),
                paper=form.cleaned_data["paper"],
                language=get_language(),
                base_url=request.build_absolute_uri("/"),
            )
        except PairingError as error:
            form.add_error(None, error.translated)
        else:
            messages.success(request, gettext("Your export has started."))
            return redirect("code_export", institution.pk, export.pk)
    exports = (
        CodeExport.objects.filter(institution=institution)
        .defer("result")
        .select_related("requested_by")
        .prefetch_related("courses")[:RECENT_EXPORTS]
    )
    return render(
        request,
        "pairing/code_exports.html",
        {"institution": institution, "form": form, "exports": exports},
    )


@require_GET
@login_required
def code_export(request, institution_id: int, export_id: int):
    export = get_code_export_for_user(request.user, institution_id, export_id)
    return render(
        request,
        "pairing/code_export.html",
        {"institution": export.institution, "export": export, "finished": _finished(export)},
    )


@require_GET
@login_required
@never_cache
def code_export_status(request, institution_id: int, export_id: int):
    """What the progress page polls (static/js/export-progress.js)."""
    export = get_code_export_for_user(request.user, institution_id, export_id)
    return JsonResponse(
        {
            "state": export.state,
            "done": export.done,
            "total": export.total,
            "percent": export.percent,
            "finished": _finished(export),
            "label": _status_label(export),
        }
    )


@require_GET
@login_required
@never_cache
def code_export_download(request, institution_id: int, export_id: int):
    export = get_code_export_for_user(request.user, institution_id, export_id)
    try:
        filename, content_type, content = code_export_file(export=export, by=request.user)
    except PairingError as error:
        messages.error(request, error.translated)
        return redirect("code_export", export.institution_id, export.pk)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


def _finished(export: CodeExport) -> bool:
    return export.state in (CodeExportState.DONE, CodeExportState.FAILED)


def _status_label(export: CodeExport) -> str:
    """What the page's status region says (the page reloads once it is finished)."""
    if export.state == CodeExportState.QUEUED:
        return gettext("Waiting to start…")
    if export.state == CodeExportState.RUNNING:
        return ngettext(
            "%(done)s of %(total)s student", "%(done)s of %(total)s students", export.total
        ) % {"done": export.done, "total": export.total}
    return gettext("Finished.")
