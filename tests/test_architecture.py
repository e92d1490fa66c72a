"""The shape of the code: imports flow one way between the apps, and every module stays readable.

docs/architecture.md draws the map: api → rostering → pairing → courses → accounts. An app may
import the apps to its right and never one to its left, so no cycle can form; pairing_portal (the
settings, the middleware) serves them all and imports none of them.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each app, and the apps it may import: every one after it.
LAYERS = ["api", "rostering", "pairing", "courses", "accounts"]
PROJECT = "pairing_portal"
MAX_LINES = 500
NOT_OURS = {".venv", "node_modules", "migrations", "staticfiles", ".git", ".pgdata"}


def modules_of(package: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / package).rglob("*.py")
        if not NOT_OURS & set(path.relative_to(ROOT).parts)
    )


def imported_apps(path: Path) -> set[str]:
    """The project's packages a module imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & {*LAYERS, PROJECT}
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = {app, PROJECT, *LAYERS[LAYERS.index(app) + 1 :]}
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - allowed)
        for path in modules_of(app)
        if imported_apps(path) - allowed
    }
    assert wrong == {}


def test_the_project_package_imports_no_app():
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - {PROJECT})
        for path in modules_of(PROJECT)
        if imported_apps(path) - {PROJECT}
    }
    assert wrong == {}


def test_the_import_check_sees_an_import_that_goes_the_wrong_way(tmp_path):
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from rostering.sis_import import sis_import_run\n")
    assert imported_apps(module) == {"rostering"}


def test_no_module_passes_500_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(ROOT.rglob("*.py"))
        if not NOT_OURS & set(path.relative_to(ROOT).parts)
        and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
