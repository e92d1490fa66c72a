"""Solving the portal's proofs of work in tests, with the altcha library's own solver (what a
determined guesser would run instead of a browser)."""

import html
import json
import re

import altcha


def challenge_on(page: str) -> dict | None:
    """The challenge a page's widget was given, or None when the page asks for no proof."""
    found = re.search(r'<altcha-widget challenge="([^"]+)"', page)
    return json.loads(html.unescape(found.group(1))) if found else None


def solved(challenge: dict) -> str:
    """The ``altcha`` value the widget would send for ``challenge``."""
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    assert solution is not None, "the challenge could not be solved"
    return altcha.Payload(challenge=parsed, solution=solution).to_base64()
