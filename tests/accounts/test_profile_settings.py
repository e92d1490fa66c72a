import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("profile_settings")


def test_user_settings_show_the_account(client, student):
    client.force_login(student)
    page = client.get(URL).content.decode()
    assert "<h1>User Settings</h1>" in page
    assert student.email in page
    assert "Springfield Schools" in page


def test_a_user_changes_their_name(client, student):
    client.force_login(student)
    response = client.post(URL, {"name": "Samantha Student", "short_name": "", "sortable_name": ""})
    assert response.url == URL
    student.refresh_from_db()
    assert (student.name, student.short_name, student.sortable_name) == (
        "Samantha Student",
        "Samantha Student",
        "Student, Samantha",
    )
    assert "Your settings were saved." in client.get(URL).content.decode()


def test_a_blank_name_is_refused_and_nothing_changes(client, student):
    client.force_login(student)
    response = client.post(URL, {"name": "   ", "short_name": "Sammy", "sortable_name": ""})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    student.refresh_from_db()
    assert student.short_name == "Sam Student"


def test_names_are_shown_escaped(client, student):
    client.force_login(student)
    client.post(URL, {"name": "<script>alert(1)</script>", "short_name": "", "sortable_name": ""})
    page = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_profile_redirects_to_user_settings(client, student):
    client.force_login(student)
    assert client.get("/profile").url == URL
