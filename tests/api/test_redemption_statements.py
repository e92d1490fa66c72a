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


def test_the_redemption_statement_stays_short_enough_for_psycopg_to_keep_it_parsed():
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    from pairing.services.spend import _spend

    statement, constants = _spend()
    assert len(statement) <= MAX_CACHED_STATEMENT_LENGTH
    # Every parameter a redemption passes: the constants and about twenty of its own.
    assert len(constants) + 20 <= MAX_CACHED_STATEMENT_PARAMS


def counters_of(observer) -> dict[str, int]:
    from accounts.models import ThrottleBucket

    return dict(
        ThrottleBucket.objects.filter(key__startswith=f"redeem:account:{observer.pk}:").values_list(
            "key", "count"
        )
    )


def test_a_working_code_is_taken_back_once(api_as, institution, observer, student, settings):
    settings.THROTTLE_STORE = "database"
    api = api_as(observer)
    api.post(f"users/{observer.pk}/observees", {"pairing_code": "zzzzzz"})  # one wrong code

    answer = api.post(f"users/{observer.pk}/observees", {"pairing_code": new_code(student)})

    assert answer.status_code == 200
    assert ObserverLink.objects.filter(observer=observer, student=student).exists()
    # The right code was counted first and taken back once: the wrong one alone is left (taken
    # back twice, or not at all, this would be 0 or 2).
    assert set(counters_of(observer).values()) == {1}


def test_a_wrong_code_stays_counted(api_as, institution, observer, student, settings):
    settings.THROTTLE_STORE = "database"
    new_code(student)
    api = api_as(observer)

    answer = api.post(f"users/{observer.pk}/observees", {"pairing_code": "zzzzzz"})

    assert answer.status_code == 422
    assert set(counters_of(observer).values()) == {1}


def test_a_redemption_that_went_through_is_not_an_error_when_the_counters_server_went_away(
    api_as, institution, observer, student, settings
):
    # PostgreSQL gone between the redemption's COMMIT and the attempt's take-back (the outage test,
    # tests/test_database_outage.py, meets this now and then): the parent is linked, so the answer
    # says so; a "temporarily unavailable" would send them back with a spent code. Here the server
    # really ends the connection, just as the take-back is sent.
    from django.db import connections

    settings.THROTTLE_STORE = "database"
    api = api_as(observer)
    code = new_code(student)

    def server_goes_before_the_take_back(execute, sql, params, many, context):
        taking_back = "accounts_throttlebucket" in sql and isinstance(params, dict)
        if taking_back and params.get("amount") == -1:
            other = connections.create_connection("default")
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid]
                )
            other.close()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(server_goes_before_the_take_back):
        answer = api.post(f"users/{observer.pk}/observees", {"pairing_code": code})

    assert answer.status_code == 200
    assert answer.json()["id"] == student.pk
    connection.close()  # the one the server ended
    assert set(counters_of(observer).values()) == {1}  # not taken back: stricter, never looser
