"""What the browser tests do on every page: log in, run axe, move by keyboard, take screenshots."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tests.factories import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py then skips every browser test (fails them in CI), with the reason
    expect = None

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from accounts.models import User

BASE_DIR = Path(__file__).resolve().parents[2]
AXE_PATH = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = BASE_DIR / "docs" / "screenshots"
# WCAG 2.0, 2.1 and 2.2, levels A and AA: the rules axe-core tags for them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
AXE_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
  result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  })))"""


@cache
def _axe_source() -> str:
    return AXE_PATH.read_text()


def log_in(page: Page, user: User, *, password: str = PASSWORD) -> None:
    """Through the real log-in form, as a person would."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Welcome, {user.short_name}").wait_for()


def shown_code(page: Page) -> str:
    """The code on the Pair with Observer dialog (an <output>: a status region)."""
    return page.locator("#pairing-code").inner_text()


def chromium_accessibility_tree(page: Page) -> list[dict]:
    """Role, name and description of each node as Chromium hands them to screen readers.

    (Playwright's own to_have_accessible_description leaves out an <output>'s text; Chromium,
    what assistive technology actually reads, includes it.)
    """
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    return [
        {
            "role": node.get("role", {}).get("value"),
            "name": node.get("name", {}).get("value", ""),
            "description": node.get("description", {}).get("value", ""),
        }
        for node in nodes
    ]


def axe_violations(page: Page) -> list[dict]:
    page.wait_for_load_state("load")  # styles applied: colours and sizes are what axe measures
    # The page's CSP forbids inline scripts, so <script> injection (add_script_tag) is refused;
    # page.evaluate runs axe through the DevTools protocol, which the CSP does not govern. The
    # pages are tested with their real CSP (no bypass_csp), so our own scripts must obey it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(AXE_RUN, AXE_TAGS)


def assert_no_axe_violations(page: Page) -> None:
    violations = axe_violations(page)
    report = "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n"
        + "".join(f"    at {t}\n" for t in v["targets"])
        for v in violations
    )
    assert not violations, f"axe found WCAG 2.2 AA violations on {page.url}:\n{report}"


# --- Keyboard ----------------------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const channels = color => color.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => [r, g, b]
    .map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  // The colour the ring is drawn on: the first ancestor with an opaque background.
  let background = [255, 255, 255];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const c = channels(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || c[3] > 0) { background = c; break; }
  }
  const style = getComputedStyle(el);
  const [light, dark] = [luminance(channels(style.outlineColor)), luminance(background)]
    .sort((a, b) => b - a);
  const box = el.getBoundingClientRect();
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  const name = (el.getAttribute('aria-label') || label || el.innerText || el.value || '').trim();
  return {
    name: name.replace(/\\s+/g, ' '),
    tag: el.tagName.toLowerCase(),
    focusVisible: el.matches(':focus-visible'),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    contrast: (light + 0.05) / (dark + 0.05),
    inView: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def focused(page: Page) -> dict | None:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page: Page) -> dict:
    """The focused element has an outline of 3:1 contrast or more (WCAG 1.4.11) and is on screen."""
    stop = focused(page)
    assert stop is not None, f"nothing has the focus on {page.url}"
    where = f"{stop['tag']} {stop['name']!r} at {page.url}"
    assert stop["focusVisible"], f"the browser shows no focus on {where}"
    assert stop["outline"], f"no focus outline on {where}"
    assert stop["contrast"] >= 3, (
        f"the focus ring of {stop['tag']} {stop['name']!r} has only {stop['contrast']:.1f}:1 contrast"
    )
    assert stop["inView"], f"the focused {stop['tag']} {stop['name']!r} is off screen"
    return stop


def tab_to(page: Page, name: str, *, limit: int = 40) -> None:
    """Press Tab until the control named ``name`` has the focus, checking the focus at each stop."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = assert_focus_visible(page)
        seen.append(stop["name"])
        if stop["name"] == name:
            return
    raise AssertionError(f"{name!r} not reached with {limit} Tabs on {page.url}; stops: {seen}")


def press_enter_to_go(page: Page) -> None:
    """Enter on a link or a submit button, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_log_in(page: Page, user: User) -> None:
    """The log-in form by keyboard: the e-mail field has the focus when the page opens."""
    page.goto("/login")
    page.wait_for_function("() => document.activeElement.id === 'id_username'")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["name"] == "Password (required)"
    page.keyboard.type(PASSWORD)
    press_enter_to_go(page)
    page.get_by_role("heading", name=f"Welcome, {user.short_name}").wait_for()


# --- Layout ------------------------------------------------------------------------------------------


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (
        f"{page.url} scrolls sideways: {widths[0]} px of content in a {widths[1]} px wide window"
    )


def save_screenshot(page: Page, name: str) -> None:
    """docs/screenshots/<name>.png, only with UPDATE_SCREENSHOTS=1 (so a test run dirties no file)."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")
