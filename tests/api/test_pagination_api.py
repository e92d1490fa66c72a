"""Canvas-style pages on every list route: bare arrays, absolute Link URLs that keep every filter."""

from urllib.parse import urlencode

from tests.api.helpers import ids, links, query_of

PREFIX = "http://testserver/api/v1/"


def with_query(path: str, params: dict[str, list[str]], *pairs: tuple[str, str]) -> str:
    query = urlencode([*((k, v) for k, vs in params.items() for v in vs), *pairs])
    return f"{path}?{query}"


def test_per_page_1_walks_every_row_once_in_order(api_as, list_scenario):
    list_scenario.add_rows(4)
    caller = api_as(list_scenario.caller)
    response = caller.get(with_query(list_scenario.path, list_scenario.params, ("per_page", "1")))
    seen = []
    for page_number in range(1, 10):
        assert response.status_code == 200, response.content
        assert isinstance(response.json(), list)
        assert len(response.json()) == 1
        seen += ids(response)
        next_url = links(response).get("next")
        if next_url is None:
            break
        assert next_url.startswith(PREFIX)
        query = query_of(next_url)
        assert query["page"] == [str(page_number + 1)]
        assert query["per_page"] == ["1"]
        for name, values in list_scenario.params.items():
            assert query[name] == values, (name, next_url)
        response = caller.client.get(next_url, **caller.headers)
    assert seen == list_scenario.expected_ids()
    assert len(seen) == len(set(seen)) == 4


def test_the_last_per_page_wins_as_canvasapi_sends_it(api_as, list_scenario):
    list_scenario.add_rows(3)
    caller = api_as(list_scenario.caller)
    everything = caller.get(
        with_query(list_scenario.path, list_scenario.params, ("per_page", "1"), ("per_page", "100"))
    )
    assert everything.status_code == 200
    assert ids(everything) == list_scenario.expected_ids()
    assert "next" not in links(everything)

    one = caller.get(
        with_query(list_scenario.path, list_scenario.params, ("per_page", "100"), ("per_page", "1"))
    )
    assert len(one.json()) == 1
    assert links(one)["next"].startswith(PREFIX)


def test_the_default_page_holds_ten(api_as, list_scenario):
    list_scenario.add_rows(11)
    response = api_as(list_scenario.caller).get(list_scenario.path, list_scenario.params)
    assert ids(response) == list_scenario.expected_ids()[:10]
    assert query_of(links(response)["next"])["page"] == ["2"]


def test_an_empty_list_is_an_empty_array_without_a_next_page(api_as, list_scenario):
    response = api_as(list_scenario.caller).get(list_scenario.path, list_scenario.params)
    assert response.status_code == 200
    assert response.json() == []
    assert "next" not in links(response)
