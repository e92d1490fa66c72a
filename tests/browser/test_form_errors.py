"""Errors are tied to their fields: aria-invalid, and the message in the field's description."""

import re

import pytest

from tests.browser.helpers import assert_no_axe_violations, expect, log_in

pytestmark = pytest.mark.slow


def test_a_wrong_code_is_the_described_error_of_the_code_field(page, observer, student):
    log_in(page, observer)
    page.goto("/profile/observees")
    field = page.get_by_label("Student Pairing Code")
    expect(field).not_to_have_attribute("aria-invalid", "true")
    field.fill("AAAAAA")
    page.get_by_role("button", name="Add Student").click()

    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        re.compile(r"Six letters and numbers .* Invalid pairing code")
    )
    assert_no_axe_violations(page)


def test_each_sign_up_error_is_tied_to_its_own_field(page, student):
    page.goto("/register/observer")
    page.get_by_label("Your Name").fill("Robin Parent")
    page.get_by_label("Your Email").fill("not an address")
    page.get_by_label(re.compile("^Password")).fill("a long and private passphrase")
    page.get_by_label("Re-enter Password").fill("a different passphrase")
    page.get_by_role("button", name="Start Participating").click()

    email = page.get_by_label("Your Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("valid email address"))
    confirmation = page.get_by_label("Re-enter Password")
    expect(confirmation).to_have_attribute("aria-invalid", "true")
    expect(confirmation).to_have_accessible_description("The two passwords are not the same.")
    code = page.get_by_label("Student Pairing Code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_accessible_description(re.compile("This field is required"))
    name = page.get_by_label("Your Name")
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(name).to_have_value("Robin Parent")
    assert_no_axe_violations(page)


def test_a_failed_log_in_is_announced(page, student):
    page.goto("/login")
    page.get_by_label("E-mail").fill(student.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("enter a correct")
    assert_no_axe_violations(page)
