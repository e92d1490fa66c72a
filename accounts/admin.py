from django.contrib import admin

from accounts.models import Institution, RolePermission, User


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "self_registration", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "institution", "sis_user_id", "is_account_admin", "is_active"]
    list_filter = ["is_account_admin", "is_active", "institution"]
    search_fields = ["name", "email", "sis_user_id"]
    list_select_related = ["institution"]
    # Passwords are changed through the portal's own reset flow, never typed in here.
    exclude = ["password", "groups", "user_permissions"]
    readonly_fields = ["last_login", "created_at"]


@admin.register(RolePermission)
class RolePermissionAdmin(admin.ModelAdmin):
    list_display = ["institution", "role", "permission", "enabled", "updated_at", "updated_by"]
    list_filter = ["permission", "role", "institution"]
    list_select_related = ["institution", "updated_by"]
