"""The look: axe in the dark colour scheme too, a phone's one-row header and its menu button,
the options icon's menu by keyboard, and a pairing link opened while logged out."""

import re

import pytest

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from tests.browser.helpers import (
    assert_focus_visible,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    expect,
    log_in,
    tab_to,
)
from tests.factories import PASSWORD
from tests.pairing.helpers import new_code

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}


def test_every_persona_s_pages_pass_axe_in_the_dark_colour_scheme(
    new_page, admin, teacher, student, observer, course, institution
):
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    walks = {
        student: ["/", "/profile/settings", "/profile/observees", "/courses", f"/courses/{course.pk}"],
        observer: ["/", "/profile/observees", f"/courses/{course.pk}", "/profile/settings"],
        teacher: [f"/courses/{course.pk}/users", f"/courses/{course.pk}/users/{student.pk}",
                  f"/courses/{course.pk}/settings"],
        admin: [f"/accounts/{institution.pk}", f"/accounts/{institution.pk}/authentication",
                f"/accounts/{institution.pk}/branding", f"/accounts/{institution.pk}/permissions",
                f"/accounts/{institution.pk}/users"],
    }  # fmt: skip
    anonymous = new_page(color_scheme="dark")
    for path in ("/login", "/register/observer", "/password/reset"):
        anonymous.goto(path)
        assert_no_axe_violations(anonymous)
    for user, paths in walks.items():
        page = new_page(color_scheme="dark")
        log_in(page, user)
        assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
        for path in paths:
            page.goto(path)
            assert_no_axe_violations(page)


def test_on_a_phone_the_header_is_one_row_with_the_logo_and_a_menu_button(
    new_page, student, course
):
    page = new_page(**PHONE)
    log_in(page, student)
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 72, header  # a quarter of 844 was what people tripped on
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)

    tab_to(page, "Menu")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Courses")).to_be_visible()
    assert_no_axe_violations(page)  # the menu open
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["name"] == "Dashboard"
    page.keyboard.press("Escape")  # closes, and the focus goes back to the button
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert assert_focus_visible(page)["name"] == "Menu"

    menu.click()
    nav.get_by_role("link", name="Courses").click()
    expect(page.get_by_role("heading", name="Courses", exact=True)).to_be_visible()


def test_the_options_icon_opens_a_menu_the_arrow_keys_and_escape_work_in(
    page, teacher, student, course, admin
):
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    log_in(page, teacher)
    page.goto(f"/courses/{course.pk}/users")
    tab_to(page, f"Options for {student.name}")
    page.keyboard.press("ArrowDown")  # opens the menu on its first item
    assert assert_focus_visible(page)["name"] == "User Details"
    page.keyboard.press("Escape")
    assert assert_focus_visible(page)["name"] == f"Options for {student.name}"
    expect(page.locator("details.options[open]")).to_have_count(0)

    page.keyboard.press("Enter")  # Enter opens it as well (it is a disclosure)
    expect(page.locator("details.options[open]")).to_have_count(1)
    page.locator("summary", has_text="Options for the People page").click()
    expect(page.locator("details.options[open]")).to_have_count(1)  # one menu open at a time
    expect(page.get_by_role("button", name="Export Pairing Codes")).to_be_visible()
    page.locator("h1").click()  # a click elsewhere closes it
    expect(page.locator("details.options[open]")).to_have_count(0)


def test_a_pairing_link_opened_logged_out_says_the_code_is_kept(page, student, observer, course):
    code = new_code(student)
    page.goto(f"/profile/observees#code={code}")
    page.wait_for_url(re.compile(r"/login\?next="))
    note = page.locator("[data-pairing-kept]")
    expect(note).to_be_visible()
    expect(note).to_have_text(
        "Log in or sign up to link a student: your pairing code is kept, and filled in for you "
        "afterwards."
    )
    assert code not in note.inner_text()
    assert student.name not in page.content()
    assert_no_axe_violations(page)
    page.get_by_label("E-mail").fill(observer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Student Pairing Code")).to_have_value(code)  # and filled in


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_what_looked_broken(page, admin, course, student, institution):
    """Checkboxes beside their labels, a short days field, buttons apart, and a favicon."""
    log_in(page, admin)
    page.goto(f"/accounts/{institution.pk}/authentication")
    checkbox, label = (
        box(page, "#id_students_may_remove_observers"),
        box(page, "label[for=id_students_may_remove_observers]"),
    )
    assert abs(checkbox["y"] - label["y"]) < 12, (checkbox, label)  # on one line, not below
    assert checkbox["x"] < label["x"]
    assert box(page, "#id_code_lifetime_days")["width"] <= 160  # two digits, not the full width
    favicon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(favicon).status == 200

    page.goto(f"/courses/{course.pk}/users")
    page.locator("summary", has_text="Options for the People page").click()
    page.get_by_role("button", name="Print Pairing Letters").click()
    printed, back = box(page, "#print-letters"), box(page, "text=Back to People")
    assert back["x"] - (printed["x"] + printed["width"]) >= 8  # not touching

    page.context.clear_cookies()
    page.goto("/register/observer")
    start = box(page, "button[type=submit]:has-text('Start Participating')")
    cancel = box(page, "a:has-text('Cancel')")
    assert cancel["x"] - (start["x"] + start["width"]) >= 8
