"""One applier for each kind of roster file, in ``rostering.sis_csv``'s kinds: each takes a file's
rows and applies them through the services of accounts, courses and pairing."""

from rostering.appliers.courses import apply_courses
from rostering.appliers.enrollments import apply_enrollments
from rostering.appliers.observers import apply_user_observers
from rostering.appliers.users import apply_users
from rostering.sis_csv import COURSES, ENROLLMENTS, USER_OBSERVERS, USERS

APPLIERS = {
    USERS: apply_users,
    COURSES: apply_courses,
    ENROLLMENTS: apply_enrollments,
    USER_OBSERVERS: apply_user_observers,
}
