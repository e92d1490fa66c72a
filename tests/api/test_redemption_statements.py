"""One API redemption (R4) in a fixed, small number of SQL statements: the hot path of the
portal (README, Performance). Counted as the database sees them, on a real transaction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pairing.models import ObserverLink, ObserverLinkState
from tests.factories import CourseFactory, EnrollmentFactory
from tests.pairing.helpers import new_code

pytestmark = pytest.mark.django_db(transaction=True)

# The token; the attempt counted (every limit's counter, in one upsert that reads them back);
# BEGIN; the student's row locked, then one statement that spends the code, links, enrolls, owes
# the notice (its row and its job) and writes both audit rows; COMMIT; the attempt taken back.
REDEMPTION_STATEMENTS = 7


def statements_of(callback) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        callback()
    return [query["sql"] for query in captured.captured_queries]


def test_one_api_redemption_takes_a_fixed_number_of_statements(
    api_as, institution, course, observer, student, settings
):
    settings.THROTTLE_STORE = "database"  # the counters' statements are counted too
    EnrollmentFactory(course=CourseFactory(institution=institution), user=student)
    api = api_as(observer)
    api.get("users/self")  # the token's first use is recorded once; keep it out of the count
    code = new_code(student)

    sql = statements_of(lambda: api.post(f"users/{observer.pk}/observees", {"pairing_code": code}))

    link = ObserverLink.objects.get(observer=observer, student=student)
    assert link.state == ObserverLinkState.ACTIVE
    assert len(sql) <= REDEMPTION_STATEMENTS, "\n\n".join(sql)
