"""One applier for each kind of roster file (``rostering.rows``' kinds): each takes one chunk of a
file's rows, already read by the upload's reader, and applies them through the set-wise services
of accounts, courses and pairing. Every format's reader feeds the same appliers."""

from accounts.models import User
from courses.models import Course, Enrollment
from pairing.models import ObserverLink
from rostering.appliers.courses import apply_courses
from rostering.appliers.enrollments import apply_enrollments
from rostering.appliers.observers import apply_user_observers
from rostering.appliers.users import apply_users
from rostering.models import RosterRecord
from rostering.rows import COURSES, ENROLLMENTS, USER_OBSERVERS, USERS

APPLIERS = {
    USERS: apply_users,
    COURSES: apply_courses,
    ENROLLMENTS: apply_enrollments,
    USER_OBSERVERS: apply_user_observers,
}

# The tables each applier fills (rostering.sis_import analyzes them after a file that changed many
# rows: see _analyze_what_it_wrote).
WRITES = {
    USERS: (User, RosterRecord),
    COURSES: (Course, RosterRecord),
    ENROLLMENTS: (Enrollment, RosterRecord),
    USER_OBSERVERS: (ObserverLink, Enrollment, RosterRecord),
}
