"""What the API sends back, in Canvas's field names. Output only: inputs are read in the views."""

from django.templatetags.static import static
from rest_framework import serializers

from accounts.models import User
from courses.models import Course, Enrollment


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
        data = super().to_representation(instance)
        if not self.context.get("show_logins"):
            data.pop("login_id", None)
            data.pop("sis_user_id", None)
        if "avatar_url" not in self.context.get("include", ()):
            data.pop("avatar_url", None)
        return data


class ObserveeSerializer(UserSerializer):
    """A User plus the root accounts (here: the institution) the observation link exists in."""

    observation_link_root_account_ids = serializers.SerializerMethodField()

    def get_observation_link_root_account_ids(self, user: User) -> list[int]:
        return [user.institution_id]


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
