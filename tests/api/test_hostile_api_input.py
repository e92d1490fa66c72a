"""Input PostgreSQL cannot take must be refused by the API with a 400, never reach it as a 500."""

import pytest

from accounts.services import api_token_create


@pytest.fixture
def admin_headers(admin):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=admin, purpose='t').token}"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/courses/{course}/enrollments?state[]=%00",
        "/api/v1/courses/{course}/enrollments?type[]=a%00b",
        "/api/v1/courses/{course}/search_users?search_term=a%00b",
        "/api/v1/users/self/enrollments?state[]=a%00b",
    ],
)
def test_a_nul_in_a_query_is_a_400(client, course, admin_headers, url):
    response = client.get(url.format(course=course.pk), **admin_headers)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "Parameters may not contain NUL characters."}]
    }


def test_a_nul_in_a_form_body_is_a_400(client, institution, admin_headers):
    response = client.post(
        f"/api/v1/accounts/{institution.pk}/users",
        data="user[name]=a%00b&pseudonym[unique_id]=x%40example.test",
        content_type="application/x-www-form-urlencoded",
        **admin_headers,
    )
    assert response.status_code == 400


def test_a_page_past_any_list_is_empty_not_an_error(client, admin_headers):
    response = client.get("/api/v1/courses?page=1000000000000000000", **admin_headers)
    assert response.status_code == 200
    assert response.json() == []
    assert 'rel="next"' not in response["Link"]
