"""Admin pages of an institution that act on observers: the SIS import."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import get_institution_for_user
from pairing.forms import SisImportForm
from pairing.models import SisImport
from pairing.sis_import import sis_import_run

IMPORTS_PER_PAGE = 20


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
        )
        return redirect("sis_import_detail", institution.pk, record.pk)
    history = SisImport.objects.filter(institution=institution).select_related("created_by")
    page = Paginator(history, IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "pairing/sis_imports.html",
        {"institution": institution, "form": form, "page": page},
    )


@require_GET
@login_required
def sis_import_detail(request, institution_id: int, import_id: int):
    institution = get_institution_for_user(request.user, institution_id, write=True)
    record = (
        SisImport.objects.filter(pk=import_id, institution=institution)
        .select_related("created_by")
        .first()
    )
    if record is None:
        raise Http404("No such import.")
    return render(
        request, "pairing/sis_import_detail.html", {"institution": institution, "record": record}
    )
