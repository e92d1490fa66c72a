"""The main pages reflow: on a 375-pixel phone and at 200% zoom nothing scrolls sideways.

200% zoom of a 1280 × 800 window is a 640 × 400 CSS-pixel viewport. Wide data tables may scroll
inside their own box (WCAG 1.4.10 allows it for tables); the page itself may not.
"""

import pytest

from accounts.roles import Permission, Role
from accounts.services import role_permission_set
from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create
from tests.browser.helpers import assert_no_horizontal_scroll, log_in

pytestmark = pytest.mark.slow

PHONE = {"width": 375, "height": 667}
LARGER_PHONE = {"width": 390, "height": 844}
ZOOMED = {"width": 640, "height": 400}


def assert_reflows(page, paths):
    for path in paths:
        for size in (PHONE, LARGER_PHONE, ZOOMED):
            page.set_viewport_size(size)
            if path:
                page.goto(path)
            assert_no_horizontal_scroll(page)


def test_the_pages_before_logging_in_reflow(page, institution):
    assert_reflows(page, ["/login", "/register/observer", "/password/reset"])


def test_a_students_pages_reflow(page, student, course):
    log_in(page, student)
    assert_reflows(page, ["/", "/profile/settings", "/profile/observees", "/courses"])
    page.goto("/profile/settings")
    page.get_by_role("button", name="Pair with Observer").click()
    page.get_by_role("button", name="Copy code").wait_for()
    assert_reflows(page, [None])  # the code dialog, which cannot be reloaded


def test_an_observers_pages_reflow(page, observer, student, course, admin):
    observer_link_create(
        observer=observer, student=student, by=admin, source=ObserverLinkSource.ADMIN
    )
    log_in(page, observer)
    assert_reflows(page, ["/", "/profile/observees", f"/courses/{course.pk}"])


def test_a_teachers_pages_reflow(page, teacher, student, classmates, course, admin):
    role_permission_set(
        institution=course.institution,
        role=Role.TEACHER,
        permission=Permission.GENERATE_OBSERVER_PAIRING_CODE,
        enabled=True,
        by=admin,
    )
    log_in(page, teacher)
    assert_reflows(
        page,
        [f"/courses/{course.pk}/users", f"/courses/{course.pk}/users/{student.pk}", "/courses"],
    )
    page.goto(f"/courses/{course.pk}/users")
    page.locator("summary", has_text="Options for the People page").click()
    page.locator("summary", has_text="Options for Sam Student").click()
    assert_reflows(page, [None])  # the open menus do not widen the page


def test_an_admins_pages_reflow(page, admin, student, institution, course):
    log_in(page, admin)
    base = f"/accounts/{institution.pk}"
    assert_reflows(
        page,
        [
            "/",
            "/courses",
            f"{base}/authentication",
            f"{base}/permissions",
            f"{base}/audit",
            f"{base}/sis_imports",
            f"{base}/users",
            f"{base}/users/{student.pk}",
        ],
    )
