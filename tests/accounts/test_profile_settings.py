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


def test_a_parents_settings_start_with_their_name_and_students_and_tokens_wait_at_the_end(
    client, observer, student, course
):
    from pairing.models import ObserverLinkSource
    from pairing.services import observer_link_create

    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.ADMIN
    )
    client.force_login(observer)
    page = client.get(reverse("profile_settings")).content.decode()
    order = [
        page.index(f'<h2 id="account-heading">{observer.name}</h2>'),
        page.index("Students you observe"),
        page.index(student.name),
        page.index("Your name and time zone"),
        page.index('id="integrations"'),
    ]
    assert order == sorted(order)
    assert "Approved Integrations" not in page[: order[-1]]
    # Collapsed for someone who never made a token: nothing to read unless opened.
    assert '<details class="card disclosure-card" id="integrations">' in page


def test_the_integrations_section_is_open_for_someone_with_a_token(client, student):
    from accounts.services import api_token_create

    api_token_create(user=student, purpose="District sync script")
    client.force_login(student)
    page = client.get(reverse("profile_settings")).content.decode()
    assert '<details class="card disclosure-card" id="integrations" open>' in page
    assert "District sync script" in page
