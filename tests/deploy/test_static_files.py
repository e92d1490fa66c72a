"""Static files in production (DEBUG off, gunicorn): collected, served by the app itself under
hashed names, compressed, cached for a year."""

import re

import pytest
import requests

from tests.deploy.conftest import gunicorn

pytestmark = pytest.mark.slow


def test_with_debug_off_gunicorn_serves_the_stylesheet_hashed_compressed_and_cached(env, tmp_path):
    with gunicorn(env, tmp_path, GUNICORN_WORKERS="1") as portal:
        page = requests.get(f"{portal.url}/login", timeout=10)
        assert page.status_code == 200
        stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, "the page does not link the stylesheet under its hashed name"

        hashed = requests.get(
            portal.url + stylesheet.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10
        )
        assert hashed.status_code == 200
        assert hashed.headers["Content-Type"].startswith("text/css")
        assert hashed.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in hashed.headers["Cache-Control"]
        assert "immutable" in hashed.headers["Cache-Control"]
        assert ".card" in hashed.text

        # The name in the source answers too (the report was a 404 here), cached briefly.
        plain = requests.get(f"{portal.url}/static/css/portal.css", timeout=10)
        assert plain.status_code == 200
        assert "immutable" not in plain.headers.get("Cache-Control", "")
        assert plain.text == hashed.text

        assert requests.get(f"{portal.url}/static/css/nothing.css", timeout=10).status_code == 404
