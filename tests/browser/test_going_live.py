"""A district goes live on an empty portal, as the README's "Going live" walks it: the operator's
`create_institution` prints the admin's invitation link; the admin sets a password, imports a
users.csv and invites everyone; one of them accepts and logs in; then the district signs in through
its OpenID Connect and its SAML provider from its log-in page. Real Chromium, real SMTP server,
real worker, real identity providers."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from accounts.models import Institution
from tests.browser.helpers import expect
from tests.test_shared_limits import test_database_url

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "springfield-district-it-2026"
NIA_PASSWORD = "my-own-long-passphrase-9"
USERS_CSV = (
    b"user_id,login_id,first_name,last_name,email,status\n"
    b"S1001,nia@springfield.test,Nia,Newcomer,,active\n"
    b"S1002,otto@springfield.test,Otto,Oak,,active\n"
    b"T2001,tess@springfield.test,Tess,Teacher,,active\n"
)


def run_worker(smtp_port: int) -> None:
    """The background worker, as `manage.py run_worker` runs beside the portal, until no job is
    due (the invitations' e-mails go to the test's mail server)."""
    environment = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": test_database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        # Where this test process keeps uploads waiting for their job (tests/conftest.py).
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    finished = subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--once"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr


def choose_password(page, password: str) -> None:
    page.locator("#id_new_password1").fill(password)
    page.locator("#id_new_password2").fill(password)
    page.get_by_role("button", name="Set my password and sign in").click()


def test_a_district_goes_live_from_an_empty_portal(
    page, new_page, hosts, live_server, job_queue, smtp_server, oidc_provider, saml_idp
):
    site = hosts["springfield"]
    assert not Institution.objects.exists()

    # 1. The operator makes the institution and its first admin; the link is printed.
    out = StringIO()
    call_command(
        "create_institution",
        "Springfield Schools",
        "--admin-email=it@springfield.test",
        "--admin-name=Ida Tech",
        "--domain=springfield.test",
        "--self-registration=observer",
        "--print-link",
        stdout=out,
    )
    token = re.search(r"/invitation/([\w-]+)", out.getvalue())[1]
    institution = Institution.objects.get()

    # 2. The admin sets a password by the link and lands logged in.
    page.goto(f"{site}/invitation/{token}")
    choose_password(page, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Ida")).to_be_visible()

    # 3. They import a users.csv...
    page.goto(f"{site}/accounts/{institution.pk}/sis_imports")
    page.get_by_label("CSV or zip file").set_input_files(
        files=[{"name": "users.csv", "mimeType": "text/csv", "buffer": USERS_CSV}]
    )
    page.get_by_role("button", name="Process Data").click()
    expect(page.get_by_text("Your import has started.")).to_be_visible()
    run_worker(smtp_server.port)  # the import is a background job
    page.reload()
    expect(page.get_by_text("users.csv").first).to_be_visible()
    assert smtp_server.mailbox.recipients() == []  # nobody is invited unless the admin asks

    # 4. ...and invite everyone who has never signed in; the worker sends the e-mails.
    page.goto(f"{site}/accounts/{institution.pk}/users")
    page.get_by_role("button", name="Invite everyone").click()
    expect(page.get_by_role("heading", name="Invitations sent together")).to_be_visible()
    run_worker(smtp_server.port)
    assert smtp_server.mailbox.recipients() == [
        "nia@springfield.test",
        "otto@springfield.test",
        "tess@springfield.test",
    ]
    page.reload()
    expect(page.get_by_text("3 of 3 invitations sent")).to_be_visible()

    # 5. Nia accepts: her password, and she is in; later she logs in with it.
    [body] = [
        message.get_payload(decode=True).decode()
        for recipients, message in smtp_server.mailbox.messages
        if recipients == ["nia@springfield.test"]
    ]
    link = re.search(r"http://\S+/invitation/[\w-]+", body)[0]
    nia = new_page()
    nia.goto(link)
    choose_password(nia, NIA_PASSWORD)
    expect(nia.get_by_role("heading", name="Welcome, Nia")).to_be_visible()
    nia.get_by_role("button", name="Log out").click()
    nia.goto(f"{site}/login")
    nia.get_by_label("E-mail").fill("nia@springfield.test")
    nia.get_by_label("Password").fill(NIA_PASSWORD)
    nia.get_by_role("button", name="Log in").click()
    expect(nia.get_by_role("heading", name="Welcome, Nia")).to_be_visible()
    page.goto(f"{site}/accounts/{institution.pk}/invitations")
    expect(page.get_by_role("row", name=re.compile("Nia Newcomer"))).to_contain_text("Accepted on")
    expect(page.get_by_role("row", name=re.compile("Otto Oak"))).to_contain_text("not accepted yet")

    # 6. The admin adds the district's OpenID Connect provider and its SAML federation.
    page.goto(f"{site}/accounts/{institution.pk}/authentication")
    page.locator("#id_oidc-name").fill("Springfield Google")
    page.locator("#id_oidc-issuer").fill(oidc_provider)
    page.locator("#id_oidc-client_id").fill("springfield-portal")
    page.locator("#id_oidc-client_secret").fill("the-district-secret")
    page.get_by_role("button", name="Add this provider").first.click()
    expect(page.get_by_text("Redirect URI", exact=True)).to_be_visible()

    page.goto(f"{site}/accounts/{institution.pk}/authentication")
    page.locator("#id_saml-name").fill("Springfield Federation")
    page.locator("#id_saml-metadata_url").fill(f"{saml_idp.base}/metadata")
    page.get_by_role("button", name="Add this provider").last.click()
    metadata_url = page.locator("a[href$='/metadata/']").inner_text()
    # The federation's admin registers the portal from that metadata.
    saml_idp.trust(
        requests.get(
            metadata_url.replace(site, live_server.url),
            headers={"Host": site.removeprefix("http://")},
            timeout=10,
        ).text
    )

    # 7. From the log-in page, Otto signs in through OpenID Connect, Tess through SAML.
    otto = new_page()
    otto.goto(f"{site}/login")
    otto.get_by_role("button", name="Sign in with Springfield Google").click()
    otto.locator("input[name=sub]").fill("otto@springfield.test")
    otto.get_by_role("button", name="Authorize").click()
    expect(otto.get_by_role("heading", name="Welcome, Otto")).to_be_visible()

    tess = new_page()
    tess.goto(f"{site}/login")
    tess.get_by_role("button", name="Sign in with Springfield Federation").click()
    tess.get_by_label("E-mail").fill("tess@springfield.test")
    tess.get_by_role("button", name="Sign in at the IdP").click()
    expect(tess.get_by_role("heading", name="Welcome, Tess")).to_be_visible()
