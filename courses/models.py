from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Institution
from accounts.roles import COURSE_ROLES, Role


class CourseState(models.TextChoices):
    UNPUBLISHED = "unpublished", _("Unpublished")
    AVAILABLE = "available", _("Published")
    COMPLETED = "completed", _("Concluded")
    DELETED = "deleted", _("Deleted")


class Course(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="courses")
    name = models.CharField(max_length=255)
    course_code = models.CharField(max_length=255)
    sis_course_id = models.CharField(_("SIS ID"), max_length=255, null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=CourseState.choices, default=CourseState.UNPUBLISHED
    )
    start_at = models.DateTimeField(_("starts"), null=True, blank=True)
    end_at = models.DateTimeField(_("ends"), null=True, blank=True)
    # Course self-enrollment (Canvas's "join code"): set while a teacher lets students join with it,
    # for example while signing up under "All account types"; NULL while it is off.
    self_enrollment_code = models.CharField(max_length=16, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "sis_course_id"],
                condition=models.Q(sis_course_id__isnull=False),
                name="course_sis_id_unique_in_institution",
            ),
            models.CheckConstraint(
                condition=~models.Q(sis_course_id=""), name="course_sis_id_null_not_empty"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="course_name_not_empty"),
            models.CheckConstraint(
                condition=~models.Q(course_code=""), name="course_code_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=CourseState.values), name="course_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(self_enrollment_code=""),
                name="course_self_enrollment_code_null_not_empty",
            ),
            models.CheckConstraint(
                condition=models.Q(start_at__isnull=True)
                | models.Q(end_at__isnull=True)
                | models.Q(end_at__gte=models.F("start_at")),
                name="course_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course_code}: {self.name}"

    @property
    def is_read_only(self) -> bool:
        """Concluded or deleted: its enrollments grant no right to act (Canvas: a concluded course
        is read-only; a deleted one is gone). See accounts.permissions."""
        return self.state in (CourseState.COMPLETED, CourseState.DELETED)

    def active_enrollment_types(self, user) -> models.QuerySet:
        """The roles ``user`` holds here through active enrollments (for accounts.permissions)."""
        return self.enrollments.filter(user=user, state=EnrollmentState.ACTIVE)


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", _("Active")
    INVITED = "invited", _("Invited")
    INACTIVE = "inactive", _("Inactive")
    COMPLETED = "completed", _("Completed")
    DELETED = "deleted", _("Deleted")


# Enrollments that put someone in a course now: Canvas's "active or pending".
CURRENT_ENROLLMENT_STATES = (EnrollmentState.ACTIVE, EnrollmentState.INVITED)
# Enrollments that still let their holder open the course and count for pairing (Canvas: anything
# but rejected, inactive or deleted; a concluded student can look back at the course).
VISIBLE_ENROLLMENT_STATES = (*CURRENT_ENROLLMENT_STATES, EnrollmentState.COMPLETED)


class EnrollmentQuerySet(models.QuerySet):
    """The state filters of enrollments, each written once."""

    def current(self) -> "EnrollmentQuerySet":
        """Active or invited: the holder is in the course now."""
        return self.filter(state__in=CURRENT_ENROLLMENT_STATES)

    def visible(self) -> "EnrollmentQuerySet":
        """Current or concluded: the holder may still open the course, and a student enrollment
        makes its holder a student for pairing."""
        return self.filter(state__in=VISIBLE_ENROLLMENT_STATES)

    def undeleted(self) -> "EnrollmentQuerySet":
        """Every state but deleted: what User Details and the People page's actions can find."""
        return self.exclude(state=EnrollmentState.DELETED)


class Enrollment(models.Model):
    """A user's role in a course. An Observer enrollment may name the student it observes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    type = models.CharField(max_length=32, choices=[(r.value, r.label) for r in COURSE_ROLES])
    state = models.CharField(
        max_length=16, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE
    )
    associated_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="observed_enrollments",
        help_text=_("The student an Observer enrollment observes."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type__in=[role.value for role in COURSE_ROLES]),
                name="enrollment_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=EnrollmentState.values),
                name="enrollment_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(associated_user__isnull=True)
                | models.Q(type=Role.OBSERVER.value),
                name="enrollment_associated_user_only_for_observers",
            ),
            models.CheckConstraint(
                condition=~models.Q(associated_user=models.F("user")),
                name="enrollment_cannot_observe_self",
            ),
            # One row per user, course, role and observed student, whatever its state: ending and
            # restoring an enrollment changes its state rather than adding rows (as Canvas does).
            models.UniqueConstraint(
                fields=["user", "course", "type", "associated_user"],
                nulls_distinct=False,
                name="enrollment_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "state"]),
            models.Index(fields=["user", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.type} in {self.course_id} ({self.state})"

    @property
    def role_label(self) -> str:
        return Role(self.type).label
