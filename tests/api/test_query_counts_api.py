"""Every list route answers in the same number of queries for 2 rows as for 25."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(caller, scenario) -> tuple[int, int]:
    """(number of queries, number of rows) for one full page of the scenario's list."""
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(scenario.path, {**scenario.params, "per_page": ["100"]})
    assert response.status_code == 200, response.content
    return len(captured), len(response.json())


def test_list_routes_use_a_flat_number_of_queries(api_as, list_scenario):
    caller = api_as(list_scenario.caller)
    list_scenario.add_rows(2)
    caller.get(
        list_scenario.path
    )  # the token's first use is recorded once; keep it out of the count

    few, few_rows = queries_for(caller, list_scenario)
    list_scenario.add_rows(23)
    many, many_rows = queries_for(caller, list_scenario)

    assert (few_rows, many_rows) == (2, 25)
    assert many == few
