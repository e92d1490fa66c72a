from django.contrib import admin

from rostering.models import SisImport


@admin.register(SisImport)
class SisImportAdmin(admin.ModelAdmin):
    list_display = ["institution", "filename", "dry_run", "state", "created_by", "created_at"]
    list_filter = ["state", "dry_run", "institution"]
    search_fields = ["filename", "created_by__name", "created_by__email"]
    list_select_related = ["institution", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
