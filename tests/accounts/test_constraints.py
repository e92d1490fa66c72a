"""Each rule the database holds for users, institutions and the permission table."""

from accounts.models import Institution, RolePermission, User
from accounts.roles import Permission, Role
from tests.db import refused_by
from tests.factories import InstitutionFactory, UserFactory


def test_email_is_unique_whatever_its_case(institution):
    UserFactory(institution=institution, email="Sam.Student@Example.test")
    with refused_by("user_email_unique_ci"):
        UserFactory(institution=institution, email="sam.student@example.TEST")


def test_sis_id_is_unique_within_an_institution(institution):
    UserFactory(institution=institution, sis_user_id="S001")
    with refused_by("user_sis_id_unique_in_institution"):
        UserFactory(institution=institution, sis_user_id="S001")


def test_the_same_sis_id_may_exist_at_another_institution(institution):
    UserFactory(institution=institution, sis_user_id="S001")
    UserFactory(institution=InstitutionFactory(), sis_user_id="S001")
    assert User.objects.filter(sis_user_id="S001").count() == 2


def test_many_users_may_have_no_sis_id(institution):
    UserFactory.create_batch(3, institution=institution, sis_user_id=None)
    assert User.objects.filter(sis_user_id__isnull=True).count() == 3


def test_an_empty_sis_id_is_refused(institution):
    with refused_by("user_sis_id_null_not_empty"):
        UserFactory(institution=institution, sis_user_id="")


def test_a_user_without_a_name_is_refused(institution):
    with refused_by("user_name_not_empty"):
        UserFactory(institution=institution, name="")


def test_only_a_platform_operator_may_belong_to_no_institution(db):
    User.objects.create_superuser("operator@example.test", "x", name="Op")
    with refused_by("user_institution_required"):
        UserFactory(institution=None)


def test_an_account_admin_must_belong_to_an_institution(db):
    with refused_by("user_institution_required"):
        UserFactory(institution=None, is_superuser=True, is_account_admin=True)


def test_self_registration_takes_only_the_three_settings(db):
    with refused_by("institution_self_registration_valid"):
        Institution.objects.create(name="Bad", self_registration="parents")


def test_an_institution_needs_a_name(db):
    with refused_by("institution_name_not_empty"):
        Institution.objects.create(name="")


def test_a_permission_has_one_row_per_role_and_institution(institution):
    fields = {
        "institution": institution,
        "role": Role.TEACHER,
        "permission": Permission.GENERATE_OBSERVER_PAIRING_CODE,
    }
    RolePermission.objects.create(enabled=True, **fields)
    with refused_by("role_permission_unique"):
        RolePermission.objects.create(enabled=False, **fields)


def test_a_permission_cannot_be_given_to_a_role_it_does_not_apply_to(institution):
    with refused_by("role_permission_configurable"):
        RolePermission.objects.create(
            institution=institution,
            role=Role.STUDENT,
            permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
            enabled=True,
        )
    with refused_by("role_permission_configurable"):
        RolePermission.objects.create(
            institution=institution,
            role=Role.TEACHER,
            permission=Permission.MANAGE_USER_OBSERVERS,
            enabled=True,
        )
