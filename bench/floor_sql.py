"""The essential statements of each measured request, shared by the raw-SQL limit (psycopg from
threads, bench/run.py) and the framework floor (bench/floor_views.py), so both do exactly the same
database work. Placeholders are ``%s`` for psycopg and Django's cursor alike."""

# A redemption: spend the code, link, fan the observer out to the student's courses.
REDEEM = (
    """UPDATE pairing_pairingcode code SET state = 'used', used_by_id = %s, ended_at = now()
       FROM accounts_user student
       WHERE code.code_hash = %s AND code.state = 'active' AND code.expires_at > now()
         AND student.id = code.student_id
       RETURNING code.student_id, student.institution_id""",
    """INSERT INTO pairing_observerlink
         (observer_id, student_id, institution_id, state, source, created_at)
       VALUES (%s, %s, %s, 'active', 'pairing_code', now())
       ON CONFLICT ON CONSTRAINT observer_link_unique DO NOTHING""",
    """INSERT INTO courses_enrollment
         (user_id, course_id, type, state, associated_user_id, created_at, updated_at)
       SELECT %s, e.course_id, 'ObserverEnrollment', 'active', e.user_id, now(), now()
       FROM courses_enrollment e
       WHERE e.user_id = %s AND e.type = 'StudentEnrollment' AND e.state IN ('active', 'invited')
       ON CONFLICT ON CONSTRAINT enrollment_unique DO NOTHING""",
)

# A pairing code made for a student of the caller's institution: the student's row locked (found
# and checked in the same statement), the code stored.
GENERATE = (
    """SELECT id FROM accounts_user
       WHERE id = %s AND institution_id = %s AND is_active FOR UPDATE""",
    """INSERT INTO pairing_pairingcode (student_id, code_hash, created_by_id, created_at,
         expires_at, state)
       VALUES (%s, %s, %s, now(), now() + interval '7 days', 'active')
       RETURNING id, expires_at""",
)

# A page of the People page: the course (if the viewer is enrolled in it), how many rows, and the
# first hundred, by name.
PEOPLE = (
    """SELECT course.id, course.name FROM courses_course course
       WHERE course.id = %s AND EXISTS (
         SELECT FROM courses_enrollment mine WHERE mine.course_id = course.id
           AND mine.user_id = %s AND mine.state = 'active')""",
    """SELECT count(*) FROM courses_enrollment WHERE course_id = %s AND state = 'active'""",
    """SELECT person.name, person.sortable_name, enrollment.type FROM courses_enrollment enrollment
       JOIN accounts_user person ON person.id = enrollment.user_id
       WHERE enrollment.course_id = %s AND enrollment.state = 'active'
       ORDER BY person.sortable_name, person.id LIMIT 100""",
)
