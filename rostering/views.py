"""The SIS Import pages: upload a file, read the history and each import's outcome."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import get_institution_for_user
from pairing_portal.middleware import accepts_bodies_up_to
from rostering.access import get_sis_import_for_user
from rostering.forms import SisImportForm
from rostering.selectors import sis_imports_of
from rostering.sis_csv import MAX_FILE_BYTES
from rostering.sis_import import sis_import_run

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
        record = sis_import_run(
            institution=institution,
            filename=upload.name,
            data=upload.read(),
            by=request.user,
            dry_run=form.cleaned_data["dry_run"],
            send_invitations=form.cleaned_data["send_invitations"],
            base_url=request.build_absolute_uri("/"),
        )
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
        {"institution": record.institution, "record": record},
    )
