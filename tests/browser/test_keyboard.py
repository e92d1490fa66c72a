"""The main journeys with the keyboard alone: Tab to move, Enter to act, typing into fields.

No clicks and no focus() calls: ``tab_to`` presses Tab until the named control has the focus and
checks at every stop that the focus can be seen (an outline of 3:1 contrast, on screen).
"""

import re

import pytest

from pairing.models import ObserverLink, ObserverLinkState
from tests.browser.helpers import (
    assert_focus_visible,
    expect,
    keyboard_log_in,
    press_enter_to_go,
    shown_code,
    tab_to,
)
from tests.pairing.helpers import new_code

pytestmark = pytest.mark.slow


def test_the_first_tab_stop_skips_to_the_content(page, student, course):
    keyboard_log_in(page, student)
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["name"] == "Skip to main content"
    page.keyboard.press("Enter")  # to #main, on this page
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["name"] == "Biology 101"  # the first link of the content


def test_a_student_makes_and_copies_a_code_by_keyboard(new_page, student):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    keyboard_log_in(page, student)
    tab_to(page, "User Settings")
    press_enter_to_go(page)
    tab_to(page, "Pair with Observer")
    press_enter_to_go(page)

    dialog = page.get_by_role("dialog", name="Pair with Observer")
    expect(dialog).to_be_visible()
    assert assert_focus_visible(page)["name"] == "Copy code"  # the focus starts on the button
    code = shown_code(page)
    page.keyboard.press("Enter")
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == code

    tab_to(page, "OK")
    press_enter_to_go(page)
    expect(page).to_have_url(re.compile(r"/profile/settings$"))


def test_an_observer_adds_and_removes_a_student_by_keyboard(page, observer, student, course):
    code = new_code(student)
    keyboard_log_in(page, observer)
    tab_to(page, "User Settings")
    press_enter_to_go(page)
    tab_to(page, "Observing")
    press_enter_to_go(page)
    expect(page).to_have_url(re.compile(r"/profile/observees$"))

    tab_to(page, "Student Pairing Code (required)")
    page.keyboard.type("AAAAAA")
    press_enter_to_go(page)
    expect(page.get_by_text("Invalid pairing code")).to_be_visible()

    tab_to(page, "Student Pairing Code (required)")  # it keeps what was typed
    for _ in range(6):
        page.keyboard.press("Backspace")
    page.keyboard.type(code)
    press_enter_to_go(page)
    expect(page.get_by_role("status")).to_have_text("You are now observing Sam Student.")
    assert ObserverLink.objects.get(observer=observer).state == ObserverLinkState.ACTIVE

    tab_to(page, "Remove Sam Student")
    page.keyboard.press("Enter")  # asks once: "Stop observing Sam Student?"
    expect(page.get_by_text("Stop observing Sam Student?")).to_be_visible()
    tab_to(page, "Yes, stop observing")
    press_enter_to_go(page)
    expect(page.get_by_role("status")).to_have_text("You are no longer observing Sam Student.")
    assert ObserverLink.objects.get(observer=observer).state == ObserverLinkState.DELETED


def test_an_instructor_pairs_from_user_details_by_keyboard(
    page, teacher, student, course, teachers_may_generate
):
    keyboard_log_in(page, teacher)
    tab_to(page, "Biology 101")
    press_enter_to_go(page)
    tab_to(page, "People")
    press_enter_to_go(page)
    tab_to(page, "Options for Sam Student")
    page.keyboard.press("Enter")  # opens the menu
    tab_to(page, "User Details")
    press_enter_to_go(page)
    expect(page.get_by_role("heading", name="Sam Student")).to_be_visible()

    tab_to(page, "Pair with Observer")
    press_enter_to_go(page)
    expect(page.get_by_role("dialog", name="Pair with Observer")).to_contain_text(
        "connect with Sam Student"
    )
    assert len(shown_code(page)) == 6
    tab_to(page, "OK")
    press_enter_to_go(page)
    expect(page.get_by_role("heading", name="User Details")).to_be_visible()


def test_a_parent_signs_up_with_a_code_by_keyboard(page, student, course):
    code = new_code(student)
    page.goto("/login")
    tab_to(page, "Parents sign up here")
    press_enter_to_go(page)
    expect(page.get_by_role("heading", name="Parent Signup")).to_be_visible()

    for label, text in (
        ("Your Name (required)", "Robin Parent"),
        ("Your Email (required)", "robin@example.test"),
        ("Password (required)", "a long and private passphrase"),
        ("Re-enter Password (required)", "a long and private passphrase"),
        ("Student Pairing Code (required)", code),
    ):
        tab_to(page, label)
        page.keyboard.type(text)
    press_enter_to_go(page)  # Enter in the last field sends the form

    expect(page.get_by_role("status")).to_have_text(
        "Welcome! Your account is ready and linked to your student."
    )


def test_an_admin_switches_self_registration_off_by_keyboard(page, admin, course):
    keyboard_log_in(page, admin)
    tab_to(page, "Authentication")
    press_enter_to_go(page)
    tab_to(page, "Observer accounts only")  # Tab enters the group on its chosen option
    page.keyboard.press("ArrowUp")  # the arrow keys move within a radio group, as everywhere
    assert assert_focus_visible(page)["name"] == "None"
    tab_to(page, "Save")
    press_enter_to_go(page)

    expect(page.get_by_role("status")).to_have_text("Authentication settings saved.")
    expect(page.get_by_label("None", exact=True)).to_be_checked()
