"""Where a log-in (with a password or through an identity provider) or a log-out goes next: a page
of this portal on the host the person used, never another site, nor another institution's host
the portal also answers to (ALLOWED_HOSTS lists them all), nor plain http in production. One rule
(accounts.services.redirect_target_allowed) for Django's views and allauth's.
The whole sign-in through a provider: tests/browser/test_single_sign_on.py."""

import pytest
from allauth.core import context
from django.test import RequestFactory
from django.urls import reverse

from accounts.services import redirect_target_allowed
from accounts.sso import AccountAdapter
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
OTHER_INSTITUTION = "https://shelbyville.test/home"


@pytest.fixture
def two_hosts(settings):
    settings.ALLOWED_HOSTS = ["springfield.test", "shelbyville.test", "testserver"]


def request_to(host: str, *, secure: bool = True):
    return RequestFactory().get("/login", HTTP_HOST=host, secure=secure)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        OTHER_INSTITUTION,
        "http://springfield.test/home",  # the same host, but plain http from an https page
    ],
)
def test_other_sites_hosts_and_schemes_are_refused(two_hosts, target):
    assert not redirect_target_allowed(url=target, request=request_to("springfield.test"))


@pytest.mark.parametrize("target", ["/courses", "/courses?page=2", "https://springfield.test/x"])
def test_paths_and_the_same_host_are_followed(two_hosts, target):
    assert redirect_target_allowed(url=target, request=request_to("springfield.test"))


def test_production_wants_https_even_behind_a_proxy_that_did_not_say_so(two_hosts, settings):
    settings.DEBUG = False
    plain = request_to("springfield.test", secure=False)
    assert not redirect_target_allowed(url="http://springfield.test/x", request=plain)
    settings.DEBUG = True
    assert redirect_target_allowed(url="http://springfield.test/x", request=plain)


def test_allauths_redirects_after_a_provider_sign_in_ask_the_same_rule(two_hosts):
    adapter = AccountAdapter()
    with context.request_context(request_to("springfield.test")):
        assert adapter.is_safe_url("/courses")
        assert not adapter.is_safe_url(OTHER_INSTITUTION)
        assert not adapter.is_safe_url("https://evil.example/")


def test_a_password_log_in_does_not_go_to_another_institutions_host(client, two_hosts, student):
    response = client.post(
        reverse("login") + "?next=" + OTHER_INSTITUTION,
        {"username": student.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_password_log_in_returns_to_a_page_of_this_portal(client, two_hosts, student):
    response = client.post(
        reverse("login"), {"username": student.email, "password": PASSWORD, "next": "/courses"}
    )
    assert response["Location"] == "/courses"


def test_the_log_in_page_does_not_carry_another_hosts_next_to_its_forms(client, two_hosts):
    page = client.get(reverse("login"), {"next": OTHER_INSTITUTION}).content.decode()
    assert f'name="next" value="{OTHER_INSTITUTION}"' not in page
    ours = client.get(reverse("login"), {"next": "/courses"}).content.decode()
    assert 'name="next" value="/courses"' in ours


def test_a_log_out_does_not_go_to_another_institutions_host(client, two_hosts, student):
    client.force_login(student)
    response = client.post(reverse("logout"), {"next": OTHER_INSTITUTION})
    assert response.status_code == 302
    assert "shelbyville" not in response["Location"]
