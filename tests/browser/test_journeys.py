"""The journeys of the product documents, clicked through as a person would, in Chromium.

With UPDATE_SCREENSHOTS=1 they also write the README's screenshots (docs/screenshots/).
"""

import csv
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pairing.code_format import ALPHABET, CODE_LENGTH
from pairing.csv_export import HEADER
from pairing.services import pairing_code_redeem
from tests.browser.helpers import (
    assert_no_axe_violations,
    expect,
    log_in,
    shown_code,
)
from tests.pairing.helpers import new_code

pytestmark = pytest.mark.slow

A_CODE = re.compile(f"[{re.escape(ALPHABET)}]{{{CODE_LENGTH}}}")


def code_on_the_dialog(page) -> str:
    code = shown_code(page)
    assert A_CODE.fullmatch(code), code
    return code


def test_a_student_makes_a_pairing_code_in_user_settings(page, student, course, observer):
    log_in(page, student)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="User Settings").click()
    page.get_by_role("button", name="Pair with Observer").click()

    dialog = page.get_by_role("dialog", name="Pair with Observer")
    expect(dialog).to_contain_text("allow them to connect with Sam Student")
    expect(dialog).to_contain_text("This code will expire in seven days, or after one use.")
    code = code_on_the_dialog(page)
    expect(dialog.get_by_role("button", name="Copy code")).to_be_focused()
    dialog.get_by_role("link", name="OK").click()
    expect(page).to_have_url(re.compile(r"/profile/settings$"))

    assert pairing_code_redeem(code=code, observer=observer).link.student == student


def test_an_instructor_pairs_from_user_details_and_exports_the_codes(
    page, teacher, student, classmates, course, observer, teachers_may_generate
):
    log_in(page, teacher)
    page.get_by_role("link", name="Biology 101").click()
    page.get_by_role("navigation", name="Course Navigation").get_by_role(
        "link", name="People"
    ).click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()

    page.locator("summary", has_text="Options for Sam Student").click()
    page.get_by_role("link", name="User Details").click()
    expect(page.get_by_role("heading", name="Sam Student")).to_be_visible()
    page.get_by_role("button", name="Pair with Observer").click()
    expect(page.get_by_role("dialog", name="Pair with Observer")).to_contain_text(
        "connect with Sam Student"
    )
    code_for_sam = code_on_the_dialog(page)
    page.get_by_role("link", name="OK").click()
    expect(page.get_by_role("heading", name="User Details")).to_be_visible()

    page.get_by_role("navigation", name="Course Navigation").get_by_role(
        "link", name="People"
    ).click()
    page.locator("summary", has_text="Options for the People page").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export Pairing Codes").click()
    download = download_info.value
    assert download.suggested_filename == "BIO101_Pairing_Codes.csv"
    with open(download.path(), newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))

    assert header[:5] == ["Last Name", "First Name", "SIS ID", "Pairing Code", "Expires At"]
    assert header == HEADER
    by_name = {(row[1], row[0]): row for row in rows}
    assert sorted(by_name) == [("Ava", "Adams"), ("Ben", "Brooks"), ("Sam", "Student")]
    assert [by_name["Ava", "Adams"][2], by_name["Ben", "Brooks"][2]] == ["S0001", "S0002"]
    codes = {}
    for name, (_, _, _, cell, expires, link) in by_name.items():
        assert re.fullmatch(r'="(.+)"', cell), cell  # kept as text by spreadsheets
        codes[name] = cell[2:-1]
        assert A_CODE.fullmatch(codes[name]), cell
        assert link.endswith(f"/profile/observees#code={codes[name]}")
        lifetime = parse_datetime(expires.replace(" UTC", "+00:00")) - timezone.now()
        assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)
    assert len(set(codes.values())) == 3

    # Both the dialog's code and an exported one work, each for its own student.
    assert pairing_code_redeem(code=code_for_sam, observer=observer).link.student == student
    ava = classmates[0]
    assert pairing_code_redeem(code=codes["Ava", "Adams"], observer=observer).link.student == ava


def test_an_observer_enters_a_code_sees_the_students_courses_and_removes_the_link(
    page, observer, student, course
):
    code = new_code(student)
    log_in(page, observer)
    page.get_by_role("link", name="User Settings").first.click()
    settings_tabs = page.get_by_role("navigation", name="User Settings")
    settings_tabs.get_by_role("link", name="Observing").click()
    expect(page).to_have_url(re.compile(r"/profile/observees$"))
    page.get_by_label("Student Pairing Code").fill(code)
    page.get_by_role("button", name="Add Student").click()

    expect(page.get_by_role("status")).to_have_text("You are now observing Sam Student.")
    linked = page.get_by_role("region", name="Students you observe")
    expect(linked.get_by_role("listitem")).to_contain_text(["Sam Student"])

    page.get_by_role("link", name="Dashboard").click()
    observing = page.get_by_role("region", name="Students you observe")
    expect(observing.get_by_role("heading", name="Sam Student")).to_be_visible()
    observing.get_by_role("link", name="Biology 101").click()
    expect(page.get_by_role("region", name="The student you observe")).to_contain_text(
        "Sam Student"
    )

    page.goto("/profile/observees")
    page.locator("summary", has_text="Remove Sam Student").click()
    expect(page.get_by_text("Stop observing Sam Student?")).to_be_visible()
    page.get_by_role("button", name="Yes, stop observing").click()
    expect(page.get_by_role("status")).to_have_text("You are no longer observing Sam Student.")
    expect(page.get_by_text("You are not observing any students yet.")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("link", name="Biology 101")).to_have_count(0)


def test_a_parent_signs_up_with_a_pairing_code(page, student, course):
    code = new_code(student)
    page.goto("/login")
    page.get_by_role("link", name="Parents sign up here").click()
    expect(page.get_by_role("heading", name="Parent Signup")).to_be_visible()

    page.get_by_label("Your Name").fill("Robin Parent")
    page.get_by_label("Your Email").fill("robin@example.test")
    page.get_by_label(re.compile("^Password")).fill("a long and private passphrase")
    page.get_by_label("Re-enter Password").fill("a long and private passphrase")
    page.get_by_label("Student Pairing Code").fill(code)
    page.get_by_role("button", name="Start Participating").click()

    expect(page.get_by_role("status")).to_have_text(
        "Welcome! Your account is ready and linked to your student."
    )
    observing = page.get_by_role("region", name="Students you observe")
    expect(observing.get_by_role("heading", name="Sam Student")).to_be_visible()
    expect(observing.get_by_role("link", name="Biology 101")).to_be_visible()


def test_an_admin_switches_self_registration_off_and_the_pairing_buttons_disappear(
    new_page, admin, student, course
):
    student_page = new_page()
    log_in(student_page, student)
    student_page.goto("/profile/settings")
    expect(student_page.get_by_role("button", name="Pair with Observer")).to_be_visible()

    page = new_page()
    log_in(page, admin)
    page.get_by_role("link", name="Authentication").click()
    expect(page.get_by_label("Observer accounts only")).to_be_checked()
    page.get_by_label("None", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Authentication settings saved.")
    expect(page.get_by_label("None", exact=True)).to_be_checked()

    student_page.reload()
    expect(student_page.get_by_role("heading", name="User Settings")).to_be_visible()
    expect(student_page.get_by_role("button", name="Pair with Observer")).to_have_count(0)
    anonymous = new_page()
    anonymous.goto("/login")
    expect(anonymous.get_by_role("button", name="Log in")).to_be_visible()
    expect(anonymous.get_by_role("link", name="Parents sign up here")).to_have_count(0)


def test_a_teacher_without_the_permission_sees_no_pair_with_observer(
    page, teacher, student, course
):
    """The documents' note: no permission, no Pair with Observer link on User Details."""
    log_in(page, teacher)
    page.goto(f"/courses/{course.pk}/users/{student.pk}")
    expect(page.get_by_role("heading", name="Sam Student")).to_be_visible()
    expect(page.get_by_role("button", name="Pair with Observer")).to_have_count(0)
    assert_no_axe_violations(page)


def test_an_observer_cannot_make_codes(page, observer, course):
    """Observers cannot generate pairing codes (FAQ): User Settings has no such button for them."""
    log_in(page, observer)
    page.goto("/profile/settings")
    expect(page.get_by_role("heading", name="User Settings")).to_be_visible()
    expect(page.get_by_role("button", name="Pair with Observer")).to_have_count(0)
