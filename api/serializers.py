"""What the API sends back, in Canvas's field names. Output only: inputs are read in the views."""

import uuid

from django.conf import settings
from django.templatetags.static import static
from rest_framework import serializers

from accounts.models import User
from courses.models import Course, Enrollment
from rostering.rows import KIND_ORDER


class UserSerializer(serializers.Serializer):
    """Canvas's User. ``login_id`` and ``sis_user_id`` only for callers who may see them
    (context ``show_logins``); ``avatar_url`` only with ``include[]=avatar_url``."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sortable_name = serializers.CharField()
    short_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    login_id = serializers.CharField(source="email", required=False)
    sis_user_id = serializers.CharField(required=False, allow_null=True)
    avatar_url = serializers.SerializerMethodField(required=False)

    def get_avatar_url(self, user: User) -> str:
        return self.context["request"].build_absolute_uri(static("images/avatar.svg"))

    def to_representation(self, instance):
        # What DRF would make of the fields above, written out: every list of people and every
        # redemption answers with these, and DRF's walk over the fields costs more than the rest
        # of the serializing (tests/api check the shape).
        data = {
            "id": instance.pk,
            "name": instance.name,
            "sortable_name": instance.sortable_name,
            "short_name": instance.short_name,
            "created_at": _TIMESTAMP.to_representation(instance.created_at),
        }
        if self.context.get("show_logins"):
            data["login_id"] = instance.email
            data["sis_user_id"] = instance.sis_user_id
        if "avatar_url" in self.context.get("include", ()):
            data["avatar_url"] = self.get_avatar_url(instance)
        return data


_TIMESTAMP = serializers.DateTimeField()


class ObserveeSerializer(UserSerializer):
    """A User plus the root accounts (here: the institution) the observation link exists in."""

    observation_link_root_account_ids = serializers.SerializerMethodField()

    def get_observation_link_root_account_ids(self, user: User) -> list[int]:
        return [user.institution_id]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["observation_link_root_account_ids"] = self.get_observation_link_root_account_ids(
            instance
        )
        return data


class PairingCodeSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="record.student_id")
    code = serializers.CharField()
    expires_at = serializers.DateTimeField(source="record.expires_at")
    workflow_state = serializers.CharField(source="record.state")


class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    type = serializers.CharField()
    role = serializers.CharField(source="type")
    enrollment_state = serializers.CharField(source="state")
    associated_user_id = serializers.IntegerField(allow_null=True)
    root_account_id = serializers.IntegerField(source="course.institution_id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    user = serializers.SerializerMethodField(required=False)

    def get_user(self, enrollment: Enrollment) -> dict:
        return UserSerializer(enrollment.user, context=self.context).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "user" not in self.context.get("include", ()):
            data.pop("user", None)
        return data


class CourseEnrollmentSummarySerializer(serializers.Serializer):
    """The caller's own enrollments, as Canvas adds them to each course in a course list."""

    type = serializers.SerializerMethodField()
    role = serializers.CharField(source="type")
    user_id = serializers.IntegerField()
    enrollment_state = serializers.CharField(source="state")
    associated_user_id = serializers.IntegerField(allow_null=True)

    def get_type(self, enrollment: Enrollment) -> str:
        # Canvas writes "observer" here for ObserverEnrollment, "ta" for TaEnrollment.
        return enrollment.type.removesuffix("Enrollment").lower()


class CourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    course_code = serializers.CharField()
    sis_course_id = serializers.CharField(allow_null=True)
    workflow_state = serializers.CharField(source="state")
    account_id = serializers.IntegerField(source="institution_id")
    root_account_id = serializers.IntegerField(source="institution_id")
    start_at = serializers.SerializerMethodField()
    end_at = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    enrollments = serializers.SerializerMethodField(required=False)

    def get_start_at(self, course: Course) -> str | None:
        return None

    def get_end_at(self, course: Course) -> str | None:
        return None

    def get_enrollments(self, course: Course) -> list[dict]:
        mine = getattr(course, "listed_enrollments", [])
        return CourseEnrollmentSummarySerializer(mine, many=True).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not hasattr(instance, "listed_enrollments"):
            data.pop("enrollments", None)
        return data


class ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    sortable_name = serializers.CharField()
    primary_email = serializers.CharField(source="email")
    login_id = serializers.CharField(source="email")
    avatar_url = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField()
    locale = serializers.SerializerMethodField()

    def get_avatar_url(self, user: User) -> str:
        return self.context["request"].build_absolute_uri(static("images/avatar.svg"))

    def get_time_zone(self, user: User) -> str:
        return "Etc/UTC"

    def get_locale(self, user: User) -> str | None:
        return None


class AccountSerializer(serializers.Serializer):
    """Canvas's Account, for an institution: a root account, so it has no parent."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    uuid = serializers.SerializerMethodField()
    parent_account_id = serializers.SerializerMethodField()
    root_account_id = serializers.SerializerMethodField()
    workflow_state = serializers.SerializerMethodField()
    default_time_zone = serializers.SerializerMethodField()
    sis_account_id = serializers.SerializerMethodField()
    integration_id = serializers.SerializerMethodField()
    sis_import_id = serializers.SerializerMethodField()

    def get_uuid(self, institution) -> str:
        # Canvas's is random and stored; ours is derived from the id, and as stable.
        return uuid.uuid5(uuid.NAMESPACE_URL, f"pairing-portal:institution:{institution.pk}").hex

    def get_parent_account_id(self, institution) -> int | None:
        return None

    def get_root_account_id(self, institution) -> int | None:
        return None  # Canvas's root accounts have none

    def get_workflow_state(self, institution) -> str:
        return "active"

    def get_default_time_zone(self, institution) -> str:
        return settings.TIME_ZONE

    def get_sis_account_id(self, institution) -> str | None:
        return None

    def get_integration_id(self, institution) -> str | None:
        return None

    def get_sis_import_id(self, institution) -> int | None:
        return None


# The states of an import as Canvas names them (SisBatch#workflow_state).
CREATED, IMPORTING = "created", "importing"
IMPORTED, IMPORTED_WITH_MESSAGES, FAILED_WITH_MESSAGES = (
    "imported",
    "imported_with_messages",
    "failed_with_messages",
)
# Canvas's counts of every kind of row; ours are the four kinds an import here reads.
CANVAS_COUNTS = (
    "accounts",
    "terms",
    "abstract_courses",
    "courses",
    "sections",
    "xlists",
    "users",
    "enrollments",
    "groups",
    "group_memberships",
    "grade_publishing_results",
    "user_observers",
    "batch_courses_deleted",
    "batch_sections_deleted",
    "batch_enrollments_deleted",
)


class SisImportSerializer(serializers.Serializer):
    """Canvas's SisImport: what a district's scripts poll until ``workflow_state`` is final."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(source="finished_at", allow_null=True)
    updated_at = serializers.SerializerMethodField()
    workflow_state = serializers.SerializerMethodField()
    progress = serializers.IntegerField(source="percent")
    data = serializers.SerializerMethodField()
    processing_warnings = serializers.SerializerMethodField()
    processing_errors = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    batch_mode = serializers.SerializerMethodField()
    batch_mode_term_id = serializers.SerializerMethodField()
    multi_term_batch_mode = serializers.SerializerMethodField()
    skip_deletes = serializers.SerializerMethodField()
    override_sis_stickiness = serializers.SerializerMethodField()
    add_sis_stickiness = serializers.SerializerMethodField()
    clear_sis_stickiness = serializers.SerializerMethodField()
    diffing_data_set_identifier = serializers.SerializerMethodField()
    diffed_against_import_id = serializers.SerializerMethodField()
    errors_attachment = serializers.SerializerMethodField()

    def get_updated_at(self, record) -> str:
        moment = record.finished_at or record.started_at or record.created_at
        return serializers.DateTimeField().to_representation(moment)

    def get_workflow_state(self, record) -> str:
        if record.state == "queued":
            return CREATED
        if record.state == "running":
            return IMPORTING
        if record.state in ("failed", "waiting"):
            # Waiting: a OneRoster bulk file would remove past its change_threshold (Canvas
            # fails such an import too; its reason is the processing error).
            return FAILED_WITH_MESSAGES
        return IMPORTED_WITH_MESSAGES if record.message_count else IMPORTED

    def get_data(self, record) -> dict:
        counts = dict.fromkeys(CANVAS_COUNTS, 0)
        for file_counts in record.counts.values():
            counts[file_counts["kind"]] += file_counts["changed"] + file_counts["unchanged"]
        counts["error_count"] = 1 if record.error else 0
        counts["warning_count"] = record.message_count
        kinds = {entry["kind"] for entry in record.progress}
        return {
            "import_type": record.import_type,
            # Canvas names each kind in the singular: user, course, enrollment, user_observer.
            "supplied_batches": [kind.removesuffix("s") for kind in KIND_ORDER if kind in kinds],
            "counts": counts if record.finished else None,
        }

    def get_processing_warnings(self, record) -> list[list[str]]:
        """[file, message] for each skipped row kept (the row's number begins the message)."""
        return [[m["file"], f"Row {m['row']}: {m['message']}"] for m in record.messages]

    def get_processing_errors(self, record) -> list[list[str]]:
        return [[record.filename, record.error]] if record.error else []

    def get_user(self, record) -> dict | None:
        person = record.created_by
        if person is None:
            return None
        fields = ("id", "name", "sortable_name", "short_name")
        return {name: getattr(person, name) for name in fields}

    def get_batch_mode(self, record) -> bool:
        return False

    def get_batch_mode_term_id(self, record) -> str | None:
        return None

    def get_multi_term_batch_mode(self, record) -> bool:
        return False

    def get_skip_deletes(self, record) -> bool:
        return False

    def get_override_sis_stickiness(self, record) -> bool | None:
        return record.options.get("override_sis_stickiness")

    def get_add_sis_stickiness(self, record) -> bool | None:
        return record.options.get("add_sis_stickiness")

    def get_clear_sis_stickiness(self, record) -> bool | None:
        return record.options.get("clear_sis_stickiness")

    def get_diffing_data_set_identifier(self, record) -> str | None:
        return None

    def get_diffed_against_import_id(self, record) -> int | None:
        return None

    def get_errors_attachment(self, record) -> dict | None:
        return None
