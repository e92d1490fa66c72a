"""What the portal does beyond Canvas, clicked through in Chromium: pairing links, letters, leaked
codes, several children, the code lifetime, and who observes a student."""

import re
from pathlib import Path

import pytest

from pairing.models import ObserverLinkSource
from pairing.services import observer_link_create, pairing_code_create
from tests.browser.helpers import assert_no_axe_violations, expect, log_in
from tests.factories import PASSWORD, CourseFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.slow


def test_a_pairing_link_fills_in_the_code_across_log_in_and_is_in_no_requested_address(
    page, new_page, student, course, observer
):
    log_in(page, student)
    page.goto("/profile/settings")
    page.get_by_role("button", name="Pair with Observer").click()
    code = page.locator("#pairing-code").inner_text()
    page.get_by_text("Link and QR code").click()
    link = page.locator(".link-text a").inner_text()
    assert link.endswith(f"/profile/observees#code={code}")
    expect(page.get_by_role("img", name="QR code of the pairing link")).to_be_visible()
    assert_no_axe_violations(page)

    parent = new_page()
    requested: list[str] = []
    parent.on("request", lambda request: requested.append(request.url))
    parent.goto(link)  # logged out: the log-in page comes first
    expect(parent).to_have_url(re.compile(r"/login\?next="))
    parent.get_by_label("E-mail").fill(observer.email)
    parent.get_by_label("Password").fill(PASSWORD)
    parent.get_by_role("button", name="Log in").click()
    expect(parent.get_by_label("Student Pairing Code")).to_have_value(code)
    parent.get_by_role("button", name="Add Student").click()

    expect(parent.get_by_role("main")).to_contain_text("Sam Student")
    assert not [url for url in requested if code in url]  # only the fragment, which stays here


def test_a_student_sees_who_observes_them_and_revokes_their_codes(page, student, course, observer):
    observer_link_create(
        observer=observer, student=student, by=None, source=ObserverLinkSource.PAIRING_CODE
    )
    for _ in range(2):
        pairing_code_create(student=student, by=student)
    log_in(page, student)
    page.goto("/profile/settings")

    main = page.get_by_role("main")
    expect(main).to_contain_text("Pat Parent (parent@example.test), since")
    expect(main).to_contain_text("2 pairing codes of yours work right now.")
    assert_no_axe_violations(page)
    page.get_by_text("Revoke all codes", exact=True).click()  # one more step before it happens
    page.get_by_role("button", name="Yes, revoke all codes").click()

    expect(main).to_contain_text("2 pairing codes were revoked")
    expect(page.get_by_text("Revoke all codes", exact=True)).to_have_count(0)


def test_letters_print_one_a4_page_per_student_with_its_code_and_qr(
    page, admin, course, student, classmates
):
    log_in(page, admin)
    page.goto(f"/courses/{course.pk}/users")
    page.locator("summary", has_text="Options for the People page").click()
    page.get_by_label("Paper size").select_option("a4")
    page.get_by_role("button", name="Print Pairing Letters").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Pairing letters for")
    letters = page.locator("article.letter")
    expect(letters).to_have_count(3)
    expect(page.get_by_role("img", name=re.compile("QR code: the pairing link for"))).to_have_count(
        3
    )
    assert_no_axe_violations(page)

    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 3  # one sheet per student
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert boxes, "no page size in the PDF"
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}  # A4, points


def test_an_observer_of_two_children_switches_and_comes_back_to_the_last(
    page, course, student, observer
):
    art = CourseFactory(institution=course.institution, name="Art")
    sibling = EnrollmentFactory(course=art, user__name="Zoe Sibling").user
    for child in (student, sibling):
        observer_link_create(
            observer=observer, student=child, by=None, source=ObserverLinkSource.PAIRING_CODE
        )
    log_in(page, observer)
    switcher = page.get_by_role("navigation", name="Switch student")
    # First by family name: Zoe Sibling before Sam Student.
    expect(switcher.get_by_role("link", name="Zoe Sibling")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("link", name="Art")).to_be_visible()
    assert_no_axe_violations(page)

    switcher.get_by_role("link", name="Sam Student").click()
    expect(page.get_by_role("link", name="Biology 101")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("link", name="Biology 101")).to_be_visible()
    expect(page.get_by_role("link", name="Art")).to_have_count(0)
    expect(page.get_by_role("link", name="Add Student")).to_be_visible()


def test_an_admin_sets_the_code_lifetime_and_the_dialog_tells_it(
    page, new_page, admin, student, course
):
    log_in(page, admin)
    page.goto(f"/accounts/{admin.institution_id}/authentication")
    page.get_by_label("Pairing codes last (days)").fill("3")
    page.get_by_label("Students may remove their own observers").check()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Save pairing settings").click()
    expect(page.get_by_role("main")).to_contain_text("Pairing settings saved.")

    student_page = new_page()
    log_in(student_page, student)
    student_page.goto("/profile/settings")
    student_page.get_by_role("button", name="Pair with Observer").click()
    expect(student_page.get_by_role("dialog")).to_contain_text("expire in three days")


def test_an_admin_clears_all_observers_of_a_student(page, admin, student, course, observer):
    other = UserFactory(institution=course.institution, name="Olly Other")
    for person in (observer, other):
        observer_link_create(
            observer=person, student=student, by=None, source=ObserverLinkSource.ADMIN
        )
    log_in(page, admin)
    page.goto(f"/accounts/{admin.institution_id}/users/{student.pk}")
    assert_no_axe_violations(page)
    page.get_by_text("Remove all observers", exact=True).click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Yes, remove all observers").click()
    expect(page.get_by_role("main")).to_contain_text("2 observers were removed from Sam Student.")
    expect(page.get_by_text("Remove all observers", exact=True)).to_have_count(0)


def test_a_school_wide_export_shows_its_progress_and_offers_the_file(page, admin, course, student):
    from pairing.models import CodeExport
    from pairing.services.exports import code_export_run

    log_in(page, admin)
    page.get_by_role("link", name="Export pairing codes for the school").click()
    assert_no_axe_violations(page)
    page.get_by_label("What to make").select_option("letters")
    page.get_by_role("button", name="Start export").click()

    expect(page.get_by_role("status").last).to_contain_text("Waiting to start")
    assert_no_axe_violations(page)
    code_export_run(export_id=CodeExport.objects.get().pk)  # what its job does
    # The page follows the export by itself and offers the file when it is done.
    expect(page.get_by_role("link", name="Download the file")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("main")).to_contain_text("Done: a new code for 1 student.")
    assert_no_axe_violations(page)
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download the file").click()
    html = Path(caught.value.path()).read_text()
    assert html.count('<article class="letter"') == 1
    assert "Sam Student" in html
