from django.contrib import admin

from pairing.models import (
    CodeExport,
    GuessingAlert,
    ObserverLink,
    ObserverNotice,
    PairingCode,
)


@admin.register(PairingCode)
class PairingCodeAdmin(admin.ModelAdmin):
    """Read-only: codes are made and spent through the portal, and the code itself is not stored."""

    list_display = ["student", "state", "created_at", "expires_at", "created_by", "used_by"]
    list_filter = ["state"]
    search_fields = ["student__name", "student__email"]
    list_select_related = ["student", "created_by", "used_by"]
    exclude = ["code_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ObserverLink)
class ObserverLinkAdmin(admin.ModelAdmin):
    """Read-only: links change through the portal's services, which also fix the enrollments."""

    list_display = ["observer", "student", "institution", "state", "source", "created_at"]
    list_filter = ["state", "source", "institution"]
    search_fields = ["observer__name", "observer__email", "student__name", "student__email"]
    list_select_related = ["observer", "student", "institution"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CodeExport)
class CodeExportAdmin(admin.ModelAdmin):
    """Read-only, and without the file: it holds codes (encrypted) and only the portal serves it."""

    list_display = ["institution", "format", "state", "done", "total", "requested_by", "created_at"]
    list_filter = ["state", "format", "institution"]
    search_fields = ["requested_by__name", "requested_by__email"]
    list_select_related = ["institution", "requested_by"]
    exclude = ["result"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("result")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ObserverNotice)
class ObserverNoticeAdmin(admin.ModelAdmin):
    """Read-only: owed with each new link, sent by its job (see the Procrastinate jobs)."""

    list_display = ["student", "observer", "created_at", "sent_at", "gave_up_at"]
    search_fields = ["student__name", "student__email", "observer__name", "observer__email"]
    list_select_related = ["student", "observer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GuessingAlert)
class GuessingAlertAdmin(admin.ModelAdmin):
    """Read-only: owed when an institution's wrong codes become abnormal, sent by its job."""

    list_display = ["institution", "day", "created_at", "sent_at", "gave_up_at"]
    search_fields = ["institution__name"]
    list_select_related = ["institution"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
