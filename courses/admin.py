from django.contrib import admin

from courses.models import Course, Enrollment


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    """Course names and states may be corrected here; enrollments may not (see below)."""

    list_display = ["name", "course_code", "sis_course_id", "institution", "state"]
    list_filter = ["state", "institution"]
    search_fields = ["name", "course_code", "sis_course_id"]
    list_select_related = ["institution"]
    readonly_fields = ["institution"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Read-only: enrolling goes through pairing.services.enrollment_upsert, which also moves the
    student's linked observers; an edit here would skip that."""

    list_display = ["user", "course", "type", "state", "associated_user"]
    list_filter = ["type", "state"]
    search_fields = ["user__name", "user__email", "course__name", "course__course_code"]
    list_select_related = ["user", "course", "associated_user"]
    raw_id_fields = ["user", "course", "associated_user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
