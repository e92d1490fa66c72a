from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin, messages
from django.utils.translation import ngettext

from accounts.errors import AccountError
from accounts.forms import AdminLoginForm
from accounts.models import (
    ActAsSession,
    ApiToken,
    AuditEvent,
    IdentityProvider,
    Institution,
    Invitation,
    InvitationBatch,
    RolePermission,
    SpentChallenge,
    ThrottleBucket,
    User,
)
from accounts.personal_data import person_delete, person_delete_refusal
from accounts.services import invitation_create, user_login_set


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "self_registration", "created_at"]
    # Self-registration changes on the Authentication page, which records them in the audit trail.
    readonly_fields = ["self_registration"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "institution", "sis_user_id", "is_account_admin", "is_active"]
    list_filter = ["is_account_admin", "is_active", "institution"]
    search_fields = ["name", "email", "sis_user_id"]
    list_select_related = ["institution"]
    # Passwords are changed through the portal's own reset flow, never typed in here.
    exclude = ["password", "groups", "user_permissions"]
    # A person is made in an institution, as its admin or not, and stays so: moving them would
    # carry their links and audit trail elsewhere. They get a password by an invitation.
    readonly_fields = ["institution", "is_account_admin", "last_login", "created_at"]
    # Whoever sets a login e-mail can take the account over with a password reset.
    OPERATORS_ONLY = ["email", "is_active", "is_staff", "is_superuser"]
    actions = ["send_invitations"]

    def get_readonly_fields(self, request, obj=None):
        if not request.user.is_superuser:
            return [*self.readonly_fields, *self.OPERATORS_ONLY]
        if obj is None:  # a new person: an operator says where, and whether they administer it
            return ["last_login", "created_at"]
        return self.readonly_fields

    @admin.action(description="Send an invitation (to choose a password)")
    def send_invitations(self, request, queryset):
        sent = 0
        for person in queryset:
            try:
                invitation_create(
                    person=person, by=request.user, base_url=request.build_absolute_uri("/")
                )
            except AccountError as error:
                self.message_user(request, f"{person.email}: {error.translated}", messages.WARNING)
            else:
                sent += 1
        self.message_user(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
            % {"count": sent},
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()  # until they accept an invitation (the action above)
            super().save_model(request, obj, form, change)
            return
        # The login e-mail and active state change through the service that records them.
        email, is_active = obj.email, obj.is_active
        stored = User.objects.only("email", "is_active").get(pk=obj.pk)
        obj.email, obj.is_active = stored.email, stored.is_active
        super().save_model(request, obj, form, change)
        user_login_set(user=obj, email=email, is_active=is_active, by=request.user)

    # Deleting a person takes their e-mail out of the audit trail and records the deletion, as the
    # institution admin's page does: the same service, the same rules.
    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return super().has_delete_permission(request)
        return person_delete_refusal(person=obj, by=request.user) is None

    def get_deleted_objects(self, objs, request):
        # What goes with a person (links, codes, tokens: read-only here) goes by the service,
        # whose rule alone decides who may delete (has_delete_permission).
        deleted, counts, _read_only_here, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj):
        person_delete(person=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for person in queryset:
            person_delete(person=person, by=request.user)


@admin.register(RolePermission)
class RolePermissionAdmin(admin.ModelAdmin):
    """Read-only: the Permissions page changes these, checking which roles each applies to."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    list_display = ["institution", "role", "permission", "enabled", "updated_at", "updated_by"]
    list_filter = ["permission", "role", "institution"]
    list_select_related = ["institution", "updated_by"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and searchable; changed only through the portal, whose services keep the rules."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "purpose",
        "hint",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    search_fields = ["user__name", "user__email", "purpose"]
    list_select_related = ["user"]
    exclude = ["token_hash"]


@admin.register(ActAsSession)
class ActAsSessionAdmin(ReadOnlyAdmin):
    list_display = ["actor", "subject", "started_at", "ended_at", "client_address"]
    search_fields = ["actor__name", "actor__email", "subject__name", "subject__email"]
    list_select_related = ["actor", "subject"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "subject", "source", "client_address", "institution"]
    list_filter = ["action", "source", "institution"]
    search_fields = [
        "actor__name",
        "actor__email",
        "subject__name",
        "subject__email",
        "client_address",
    ]
    list_select_related = ["actor", "subject", "institution"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ThrottleBucket)
class ThrottleBucketAdmin(ReadOnlyAdmin):
    list_display = ["key", "bucket_start", "count"]
    search_fields = ["key"]


@admin.register(SpentChallenge)
class SpentChallengeAdmin(ReadOnlyAdmin):
    list_display = ["nonce", "expires_at"]
    search_fields = ["nonce"]


@admin.register(IdentityProvider)
class IdentityProviderAdmin(ReadOnlyAdmin):
    """Added and changed on each institution's Authentication page (secrets never shown)."""

    list_display = ["app", "institution", "match_by", "create_accounts", "is_default"]
    list_filter = ["institution"]
    search_fields = ["app__name", "institution__name"]
    list_select_related = ["app", "institution"]
    exclude = ["sealed_secret"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["user", "invited_by", "created_at", "sent_at", "accepted_at", "expires_at"]
    search_fields = ["user__name", "user__email"]
    list_select_related = ["user", "invited_by"]
    exclude = ["token_hash"]


@admin.register(InvitationBatch)
class InvitationBatchAdmin(ReadOnlyAdmin):
    list_display = ["institution", "requested_by", "created_at", "invited", "finished_at"]
    search_fields = ["institution__name", "described_as"]
    list_select_related = ["institution", "requested_by"]
    exclude = ["user_ids"]


# allauth's own: a SocialApp edited here would bypass the Authentication page's rules (and its
# secret is not read from there); tokens are never stored.
admin.site.unregister(SocialApp)
admin.site.unregister(SocialToken)
# A person's link to a provider is made by their own sign-in (accounts.services.sso_people), never
# by hand: allauth's page would let anyone here point a district's sign-in at any account, and
# show what the provider said of the person. Listed read-only, without that.
admin.site.unregister(SocialAccount)


@admin.register(SocialAccount)
class SocialAccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "provider", "last_login", "date_joined"]
    list_filter = ["provider"]
    search_fields = ["user__name", "user__email"]
    list_select_related = ["user"]
    exclude = ["extra_data"]


# The admin site's log-in is limited like the portal's.
admin.site.login_form = AdminLoginForm
