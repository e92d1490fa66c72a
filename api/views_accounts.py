"""Account routes of the API: an institution as Canvas's root account, and its SIS imports.

Canvas's SIS import API, so that a district's scripts work unchanged: POST a file, then poll the
import until its ``workflow_state`` is final. The import is the same background job the SIS Import
page and the command start (rostering.sis_import). Account admins of the institution only.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import get_institution_for_user
from accounts.audit import current_context
from api.access import account_id_for_ref
from api.errors import BadRequest
from api.pagination import paginated_response
from api.parsers import FormParser, MultiPartParser
from api.schema import ACCOUNT_REF, PAGE, errors
from api.serializers import AccountSerializer, SisImportSerializer
from rostering.access import get_sis_import_for_user
from rostering.models import SisImportType
from rostering.selectors import sis_imports_of
from rostering.sis_csv import MAX_FILE_BYTES
from rostering.sis_import import sis_import_request

# What Canvas's SIS import API takes that is not built here: refused, with the reason.
NOT_BUILT = {
    "batch_mode": "batch_mode is not supported here: a file never deletes what it leaves out.",
    "batch_mode_term_id": "batch_mode is not supported here: a file never deletes what it "
    "leaves out.",
    "multi_term_batch_mode": "batch_mode is not supported here: a file never deletes what it "
    "leaves out.",
    "diffing_data_set_identifier": "Diffing (diffing_data_set_identifier) is not supported here; "
    "importing a whole file again changes only what changed.",
    "change_threshold": "change_threshold is supported with import_type=oneroster_csv only (its "
    "bulk files remove what they no longer list).",
}
# What a OneRoster import takes beyond Canvas's parameters (rostering.oneroster), kept in its
# options; change_threshold is Canvas's own name for the share of removals it may make.
ONEROSTER_OPTIONS = ("change_threshold", "oneroster_admins", "oneroster_sis_id", "oneroster_source")
# Accepted and kept with the import; an import here never marks what it writes as sticky.
STICKINESS = ("override_sis_stickiness", "add_sis_stickiness", "clear_sis_stickiness")


class AccountView(APIView):
    """GET /accounts/:id (or /accounts/self): the institution, for its account admins."""

    @extend_schema(parameters=[ACCOUNT_REF], responses={200: AccountSerializer, **errors(401, 404)})
    def get(self, request, account_id: str):
        institution = get_institution_for_user(
            request.user, account_id_for_ref(request.user, account_id), write=True
        )
        return Response(AccountSerializer(institution).data)


class SisImportInput(serializers.Serializer):
    """Validation only: what POST /accounts/:id/sis_imports takes."""

    attachment = serializers.FileField(allow_empty_file=True)
    import_type = serializers.ChoiceField(
        choices=SisImportType.values, default=SisImportType.INSTRUCTURE_CSV
    )
    extension = serializers.ChoiceField(choices=["csv", "zip"], required=False)
    override_sis_stickiness = serializers.BooleanField(required=False)
    change_threshold = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        help_text="OneRoster only: the largest share (per cent, default 10) of what earlier "
        "imports from the source made that a bulk file may remove; past it the import stops.",
    )
    oneroster_admins = serializers.BooleanField(
        required=False, help_text="OneRoster only: make administrators account admins."
    )
    oneroster_sis_id = serializers.ChoiceField(
        choices=["sourcedId", "identifier"],
        required=False,
        help_text="OneRoster only: the users.csv column that gives SIS ids (default sourcedId).",
    )
    oneroster_source = serializers.CharField(
        required=False,
        max_length=255,
        help_text="OneRoster only: whose records these are (default the manifest's source).",
    )
    add_sis_stickiness = serializers.BooleanField(required=False)
    clear_sis_stickiness = serializers.BooleanField(required=False)

    def validate_attachment(self, upload):
        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it."
            )
        return upload


def _refuse_what_is_not_built(data) -> None:
    for name, reason in NOT_BUILT.items():
        if name in ONEROSTER_OPTIONS and data.get("import_type") == SisImportType.ONEROSTER_CSV:
            continue
        value = data.get(name)
        if value not in (None, "", "false", "False", "0"):
            raise BadRequest(reason)


class SisImportsView(APIView):
    """GET /accounts/:id/sis_imports: the imports, newest first ({"sis_imports": [...]}, paged
    by Link headers). POST: a new import of ``attachment`` (a CSV or a zip of CSVs)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="accounts_sis_imports_list",
        parameters=[ACCOUNT_REF, *PAGE],
        responses={
            200: inline_serializer(
                name="SisImportList", fields={"sis_imports": SisImportSerializer(many=True)}
            ),
            **errors(401, 404),
        },
    )
    def get(self, request, account_id: str):
        institution = get_institution_for_user(
            request.user, account_id_for_ref(request.user, account_id), write=True
        )
        return paginated_response(
            request,
            sis_imports_of(institution=institution),
            lambda page: {"sis_imports": SisImportSerializer(page, many=True).data},
        )

    @extend_schema(
        parameters=[ACCOUNT_REF],
        request={
            "multipart/form-data": inline_serializer(
                name="CreateSisImport",
                fields={
                    **{
                        name: field
                        for name, field in SisImportInput().get_fields().items()
                        if name != "attachment"
                    },
                    "attachment": serializers.FileField(),
                    "batch_mode": serializers.BooleanField(
                        required=False, help_text="Not supported: true is refused (400)."
                    ),
                },
            )
        },
        responses={200: SisImportSerializer, **errors(400, 401, 404)},
    )
    def post(self, request, account_id: str):
        institution = get_institution_for_user(
            request.user, account_id_for_ref(request.user, account_id), write=True
        )
        _refuse_what_is_not_built(request.data)
        given = SisImportInput(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        upload = values["attachment"]
        filename = upload.name or "attachment"
        if values.get("extension") and not filename.lower().endswith("." + values["extension"]):
            filename = f"{filename}.{values['extension']}"
        record = sis_import_request(
            institution=institution,
            filename=filename,
            upload=upload,
            by=request.user,
            import_type=values["import_type"],
            options={name: values[name] for name in STICKINESS if name in values}
            | _oneroster_options(values),
            client_address=current_context().client_address,
        )
        return Response(SisImportSerializer(record).data)


def _oneroster_options(values: dict) -> dict:
    if values["import_type"] != SisImportType.ONEROSTER_CSV:
        return {}
    return {
        name: values[name]
        for name in ONEROSTER_OPTIONS
        if values.get(name) is not None and values[name] is not False and values[name] != ""
    }


class SisImportView(APIView):
    """GET /accounts/:id/sis_imports/:id: one import, as it stands."""

    @extend_schema(
        parameters=[ACCOUNT_REF, OpenApiParameter("import_id", OpenApiTypes.INT, "path")],
        responses={200: SisImportSerializer, **errors(401, 404)},
    )
    def get(self, request, account_id: str, import_id: int):
        record = get_sis_import_for_user(
            request.user, account_id_for_ref(request.user, account_id), import_id
        )
        return Response(SisImportSerializer(record).data)
