"""axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation on any page, error states included.

Each test walks the pages one persona sees, as that persona, and runs axe on each of them.
"""

import pytest
from django.core import mail

from accounts.models import SelfRegistration
from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from tests.browser.helpers import assert_no_axe_violations, expect, log_in
from tests.factories import PASSWORD
from tests.pairing.helpers import new_code
from tests.rostering.sis_helpers import run_queued_imports

pytestmark = pytest.mark.slow

USERS_CSV = (
    "user_id,login_id,first_name,last_name,full_name,email,status\n"
    "S2001,casey@example.test,Casey,Cole,,,active\n"
    "S2002,not-an-address,Dana,Diaz,,,maybe\n"
)


def test_the_pages_before_logging_in(page, student, institution):
    page.goto("/login")
    assert_no_axe_violations(page)

    page.get_by_label("E-mail").fill(student.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").wait_for()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Forgot your password?").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Send the link").click()  # empty: an error
    page.locator(".error").wait_for()
    assert_no_axe_violations(page)
    page.get_by_label("Email").fill(student.email)  # Django's own form says "Email"
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url("**/password/reset/sent")
    assert_no_axe_violations(page)
    link = next(word for word in mail.outbox[-1].body.split() if "/password/reset/" in word)
    page.goto(link)
    page.get_by_role("button").last.wait_for()
    assert_no_axe_violations(page)
    page.goto("/password/reset/MQ/not-a-token")  # a broken link
    assert_no_axe_violations(page)
    page.goto("/password/reset/done")
    assert_no_axe_violations(page)

    page.goto("/login")
    page.get_by_role("link", name="Parents sign up here").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Start Participating").click()  # nothing filled in
    page.locator(".error").first.wait_for()
    assert_no_axe_violations(page)

    page.goto("/no-such-page")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Privacy").click()  # in every page's footer
    page.get_by_role("heading", name="What the portal keeps, and for how long").wait_for()
    assert_no_axe_violations(page)

    institution.self_registration = SelfRegistration.NONE
    institution.save()
    page.goto("/register/observer")
    page.get_by_role("heading", name="Self registration has not been enabled").wait_for()
    assert_no_axe_violations(page)

    page.goto("/login")
    page.get_by_role("button", name="Español").click()  # the language switcher on every page
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert_no_axe_violations(page)


def test_the_pages_of_a_student(page, student, course, institution):
    log_in(page, student)
    assert_no_axe_violations(page)  # home

    page.get_by_role("link", name="User Settings").first.click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Pair with Observer").click()
    page.get_by_role("dialog", name="Pair with Observer").wait_for()
    assert_no_axe_violations(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy code").click()
    page.get_by_text("Copied").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="OK").click()

    page.locator("summary", has_text="Integrations").click()  # folded until opened
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Generate Token").click()  # no purpose: an error
    page.locator(".error").wait_for()
    assert_no_axe_violations(page)
    page.get_by_label("Purpose").fill("Homework script")
    page.get_by_role("button", name="Generate Token").click()
    page.get_by_role("heading", name="Access token").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="OK").click()
    page.get_by_role("table", name="Your access tokens").wait_for()
    assert_no_axe_violations(page)  # settings with a token listed

    page.get_by_role("link", name="Change your password").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Change password").click()  # empty: errors
    page.locator(".error").first.wait_for()
    assert_no_axe_violations(page)
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=False).first.fill("a new and private passphrase")
    page.get_by_label("New password confirmation").fill("a new and private passphrase")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url("**/password/change/done")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="User Settings").first.click()
    page.get_by_role("link", name="Observing").click()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Courses").first.click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Biology 101").click()
    assert_no_axe_violations(page)

    page.goto(f"/accounts/{institution.pk}/authentication")  # not an admin: 403
    page.get_by_role("heading", name="You can't do that here").wait_for()
    assert_no_axe_violations(page)
    page.goto("/courses/999999")
    page.get_by_role("heading", name="Page not found").wait_for()
    assert_no_axe_violations(page)


def test_the_pages_of_an_observer(page, observer, student, course):
    log_in(page, observer)
    assert_no_axe_violations(page)  # home without students

    page.goto("/profile/observees")
    assert_no_axe_violations(page)  # no students yet
    page.get_by_label("Student Pairing Code").fill("AAAAAA")
    page.get_by_role("button", name="Add Student").click()
    page.get_by_text("Invalid pairing code").wait_for()
    assert_no_axe_violations(page)

    page.get_by_label("Student Pairing Code").fill(new_code(student))
    page.get_by_role("button", name="Add Student").click()
    page.get_by_text("You are now observing Sam Student.").wait_for()
    assert_no_axe_violations(page)  # a student listed, and the message

    page.get_by_role("link", name="Dashboard").click()
    assert_no_axe_violations(page)  # the student's courses
    page.get_by_role("link", name="Biology 101").click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Courses").first.click()
    assert_no_axe_violations(page)


def test_the_pages_of_a_teacher(page, teacher, student, classmates, observer, course, admin):
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    log_in(page, teacher)
    assert_no_axe_violations(page)

    page.goto(f"/courses/{course.pk}")
    page.get_by_role("navigation", name="Course Navigation").get_by_role(
        "link", name="People"
    ).click()
    assert_no_axe_violations(page)
    page.locator("summary", has_text="Options for the People page").click()
    page.locator("summary", has_text=f"Options for {student.name}").click()
    assert_no_axe_violations(page)  # both menus open
    page.get_by_role("link", name="User Details").first.click()
    page.get_by_role("heading", name="User Details").wait_for()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Link Observer").click()  # no e-mail: a message
    page.get_by_role("status").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Pair with Observer").click()
    page.get_by_role("dialog", name="Pair with Observer").wait_for()
    assert_no_axe_violations(page)


def test_the_pages_of_an_admin(page, admin, student, observer, course, institution):
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    log_in(page, admin)
    assert_no_axe_violations(page)  # home with the Administration links

    page.get_by_role("link", name="Courses").first.click()
    assert_no_axe_violations(page)  # every course of the institution

    page.goto("/")
    page.get_by_role("link", name="Authentication").click()
    assert_no_axe_violations(page)
    page.get_by_label("None", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Authentication settings saved.").wait_for()
    assert_no_axe_violations(page)

    page.goto("/")
    page.get_by_role("link", name="Permissions").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Save permissions").click()
    page.get_by_text("Permissions saved.").wait_for()

    page.goto("/")
    page.get_by_role("link", name="Audit trail").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Filter").click()
    assert_no_axe_violations(page)

    page.goto("/")
    page.get_by_role("link", name="SIS Import").click()
    assert_no_axe_violations(page)  # no imports yet
    page.get_by_role("button", name="Process Data").click()  # no file: an error
    page.locator(".error").wait_for()
    assert_no_axe_violations(page)
    page.get_by_label("CSV or zip file").set_input_files(
        {"name": "users.csv", "mimeType": "text/csv", "buffer": USERS_CSV.encode()}
    )
    page.get_by_role("button", name="Process Data").click()
    page.get_by_role("heading", name="Import of users.csv").wait_for()
    assert_no_axe_violations(page)  # waiting for the worker: its progress
    run_queued_imports()  # what the worker does; the page sees it finished and shows the result
    page.get_by_role("heading", name="Skipped rows").wait_for()
    assert_no_axe_violations(page)  # counts and a skipped row
    page.locator("#main").get_by_role("link", name="SIS Import").click()
    assert_no_axe_violations(page)  # one import listed

    page.goto("/")
    page.get_by_role("link", name="Users and observers").click()
    assert_no_axe_violations(page)
    page.get_by_label("Find a user").fill("Pat")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=observer.name).click()
    assert_no_axe_violations(page)  # a user with a student they observe
    page.get_by_role("button", name="Link a student to observe").click()  # nobody named
    page.get_by_role("status").wait_for()
    assert_no_axe_violations(page)
    page.get_by_text(f"Delete {observer.short_name}").click()  # personal data: the deletion asked
    page.get_by_role("button", name="Yes, delete this person").wait_for()
    assert_no_axe_violations(page)

    page.goto(f"/accounts/{institution.pk}/users/{student.pk}")
    page.get_by_role("button", name=f"Act as {student.short_name}").click()
    page.get_by_role("region", name="Acting as another user").wait_for()
    assert_no_axe_violations(page)  # the banner
