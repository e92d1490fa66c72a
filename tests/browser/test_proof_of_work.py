"""The proof of work in a real browser, at full strength: the widget, served from our own static
files, solves its challenge by itself under our Content Security Policy, the keyboard reaches it,
axe finds nothing wrong, and the form it sits in goes through."""

import time

import pytest
from django.test import Client

from pairing.models import ObserverLink
from tests.browser.helpers import (
    assert_focus_visible,
    assert_no_axe_violations,
    expect,
    press_enter_to_go,
    tab_to,
)
from tests.factories import PASSWORD
from tests.pairing.helpers import new_code

pytestmark = pytest.mark.slow

SOLVED = "() => document.querySelector('altcha-widget input[name=altcha]')?.value"


def refusals(page) -> list[str]:
    """What the browser refuses to run or load on the page (the CSP's complaints), as they come."""
    found = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Refused to" in message.text else None,
    )
    return found


@pytest.fixture
def school_under_attack(settings, institution):
    settings.PAIRING_FAILURES_PER_INSTITUTION_PER_DAY = (3, 24 * 3600)
    guesser = Client()
    for number in range(1, 4):
        guesser.post(
            "/register/observer",
            {
                "name": "Guesser",
                "email": "guess@example.test",
                "password": "a long and private passphrase",
                "password_confirmation": "a long and private passphrase",
                "code": "zzzzzz",
            },
            REMOTE_ADDR=f"203.0.{number}.9",
        )
    return institution


def test_a_parent_signs_up_by_keyboard_while_the_school_asks_for_a_proof_of_work(
    page, student, course, school_under_attack
):
    refused = refusals(page)
    code = new_code(student)
    page.goto("/register/observer")
    started = time.monotonic()
    page.wait_for_function(SOLVED, timeout=30_000)
    print(f"solved in {time.monotonic() - started:.2f} s")  # about a second on two cores
    expect(page.get_by_text("Checked: you may send the form")).to_be_visible()
    assert_no_axe_violations(page)

    for label, text in (
        ("Your Name (required)", "Robin Parent"),
        ("Your Email (required)", "robin@example.test"),
        ("Password (required)", "a long and private passphrase"),
        ("Re-enter Password (required)", "a long and private passphrase"),
        ("Student Pairing Code (required)", code),
    ):
        tab_to(page, label)
        page.keyboard.type(text)
    page.keyboard.press("Tab")  # the check's box is a stop of its own, with a visible focus
    assert assert_focus_visible(page)["tag"] == "input"
    page.keyboard.press("Shift+Tab")
    press_enter_to_go(page)  # Enter in the code field sends the form, with the check's answer

    expect(page.get_by_role("status")).to_have_text(
        "Welcome! Your account is ready and linked to your student."
    )
    assert ObserverLink.objects.filter(student=student, observer__email="robin@example.test")
    assert refused == []


def test_a_form_sent_before_the_check_is_done_waits_for_it(
    page, student, course, school_under_attack, settings
):
    settings.PROOF_OF_WORK_MAX_NUMBER = 30_000  # several seconds: Enter comes first
    code = new_code(student)
    page.goto("/register/observer")
    page.get_by_label("Your Name").fill("Robin Parent")
    page.get_by_label("Your Email").fill("robin@example.test")
    page.get_by_label("Password", exact=False).first.fill("a long and private passphrase")
    page.get_by_label("Re-enter Password").fill("a long and private passphrase")
    page.get_by_label("Student Pairing Code").fill(code)
    assert not page.evaluate(SOLVED)
    with page.expect_navigation(timeout=60_000):
        page.get_by_role("button", name="Start Participating").click()
    expect(page.get_by_role("status")).to_have_text(
        "Welcome! Your account is ready and linked to your student."
    )


def test_a_teacher_under_attack_logs_in_from_a_clean_address(page, teacher):
    attacker = Client()
    for number in range(1, 6):
        attacker.post(
            "/login",
            {"username": teacher.email, "password": "a wrong guess"},
            REMOTE_ADDR=f"203.0.{number}.66",
        )
    refused = refusals(page)
    page.goto("/login")
    page.get_by_label("E-mail").fill(teacher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("your browser is asked to do a moment")
    page.wait_for_function(SOLVED, timeout=30_000)
    assert_no_axe_violations(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Welcome, {teacher.short_name}").wait_for()
    assert refused == []
