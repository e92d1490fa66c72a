"""The code dialog: the code is announced, and one button copies it with a visible, announced "Copied"."""

import re

import pytest

from tests.browser.helpers import chromium_accessibility_tree, expect, log_in, shown_code

pytestmark = pytest.mark.slow


def open_dialog(page, student):
    log_in(page, student)
    page.goto("/profile/settings")
    page.get_by_role("button", name="Pair with Observer").click()
    page.get_by_role("dialog", name="Pair with Observer").wait_for()


def test_the_dialog_announces_the_code_from_the_button_that_has_the_focus(page, student):
    open_dialog(page, student)
    expect(page.locator("#pairing-code")).to_have_role("status")  # a live region
    code = shown_code(page)
    assert len(code) == 6
    # A screen reader entering the dialog (the focus starts in it) reads its name and description,
    # which ends with the code.
    dialogs = [node for node in chromium_accessibility_tree(page) if node["role"] == "dialog"]
    assert [dialog["name"] for dialog in dialogs] == ["Pair with Observer"]
    assert re.fullmatch(
        rf"Share .* connect with Sam Student\. .* Pairing code .*: {re.escape(code)}",
        dialogs[0]["description"],
    ), dialogs[0]["description"]
    expect(page.get_by_role("button", name="Copy code")).to_be_focused()


def test_copy_code_puts_the_code_on_the_clipboard_and_says_so(new_page, student):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    open_dialog(page, student)
    code = shown_code(page)
    confirmation = page.locator("#copy-status")
    expect(confirmation).to_have_role("status")
    expect(confirmation).to_be_empty()

    page.get_by_role("button", name="Copy code").click()
    expect(confirmation).to_have_text("Copied to the clipboard.")
    expect(confirmation).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == code


def test_when_copying_is_refused_the_dialog_says_so(new_page, student):
    page = new_page()
    # As a browser that refuses the clipboard (a policy, an older browser on plain HTTP) answers.
    page.add_init_script(
        "navigator.clipboard.writeText = () => Promise.reject(new DOMException('no', 'NotAllowedError'))"
    )
    open_dialog(page, student)
    page.get_by_role("button", name="Copy code").click()
    expect(page.locator("#copy-status")).to_have_text(
        "Copying failed: select the code and copy it yourself."
    )


def test_without_script_the_code_is_shown_and_no_dead_button(new_page, student):
    page = new_page(java_script_enabled=False)
    open_dialog(page, student)
    expect(page.locator("#pairing-code")).to_have_text(re.compile(r"^\S{6}$"))
    expect(page.get_by_role("button", name="Copy code")).to_be_hidden()
