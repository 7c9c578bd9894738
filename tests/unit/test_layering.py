"""The layers, enforced: each folder imports only what its README allows, and no module grows past ~400 lines.

The imports are read from the source (``ast``), every ``import`` and ``from … import`` in a module,
those inside functions too (a lazy import is still a dependency).  The rules are the ones the
folder READMEs state (and ``../shared/DESIGN.md``):

- ``common/`` is the neutral layer: it imports no other part of the project;
- ``benchmarks/`` never imports torch, the database (sqlalchemy), Flask, runners, submissions,
  leaderboard or web: evaluators are pure functions;
- ``runners/`` never imports the database, Flask, leaderboard or web: it returns outcomes, the
  caller stores them;
- ``web/`` never imports runners: no request runs a model;
- nothing outside the CLI's composition root (``leaderboard/cli.py``, ``leaderboard/commands/``)
  imports ``web``;
- no module imports another module's private (``_name``) helpers.

Only the product's packages are checked; ``tests/``, ``perf/`` and ``docs/`` drive them from
outside.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("common", "benchmarks", "runners", "submissions", "leaderboard", "web")
PROJECT = set(PACKAGES)

FORBIDDEN: dict[str, set[str]] = {
    "common": PROJECT - {"common"},
    "benchmarks": {"torch", "sqlalchemy", "flask", "runners", "submissions", "leaderboard", "web"},
    "runners": {"sqlalchemy", "flask", "leaderboard", "web"},
    "web": {"runners"},
}
COMPOSITION_ROOT = ("leaderboard/cli.py", "leaderboard/commands/")
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imports(path: Path) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) of every absolute import in the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, "", node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.module, alias.name, node.lineno) for alias in node.names)
    return found


def violations() -> list[str]:
    out = []
    for path in modules():
        name = relative(path)
        package = name.split("/", 1)[0]
        for module, imported, line in imports(path):
            top = module.split(".", 1)[0]
            if top in FORBIDDEN.get(package, set()):
                out.append(f"{name}:{line}: {package}/ imports {module}")
            if top == "web" and package != "web" and not name.startswith(COMPOSITION_ROOT):
                out.append(f"{name}:{line}: imports {module}; only the CLI's composition root may import web")
            private = imported.startswith("_") and not imported.startswith("__")
            if private:
                out.append(f"{name}:{line}: imports the private {imported} of {module}")
    return out


def test_every_folder_imports_only_what_its_readme_allows():
    assert violations() == []


def test_the_rules_catch_what_they_forbid(tmp_path, monkeypatch):
    """The walk sees imports at the top and inside functions, and each rule fires (the tests can fail)."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "benchmarks" / "bad.py").write_text("def f():\n    import torch\n    from leaderboard.views import board\n")
    (tmp_path / "runners" / "bad.py").write_text("from sqlalchemy import select\n")
    (tmp_path / "web" / "bad.py").write_text("from runners.execute import run_task\nfrom web.pages.common import _helper\n")
    (tmp_path / "leaderboard" / "bad.py").write_text("import web\n")
    (tmp_path / "leaderboard" / "commands").mkdir()
    (tmp_path / "leaderboard" / "commands" / "ok.py").write_text("from web.reports import reproduction_report\n")
    (tmp_path / "common" / "bad.py").write_text("from benchmarks import registry\n")
    (tmp_path / "web" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "leaderboard" / "migrations").mkdir()
    (tmp_path / "leaderboard" / "migrations" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = "\n".join(violations())
    assert "benchmarks/bad.py:2: benchmarks/ imports torch" in found
    assert "benchmarks/bad.py:3: benchmarks/ imports leaderboard.views" in found
    assert "runners/bad.py:1: runners/ imports sqlalchemy" in found
    assert "web/bad.py:1: web/ imports runners.execute" in found
    assert "web/bad.py:2: imports the private _helper of web.pages.common" in found
    assert "leaderboard/bad.py:1: imports web; only the CLI's composition root may import web" in found
    assert "common/bad.py:1: common/ imports benchmarks" in found
    assert "leaderboard/commands/ok.py" not in found
    assert long_modules() == {"web/long.py": MAX_LINES + 1}  # migrations are not counted


def long_modules() -> dict[str, int]:
    out = {}
    for path in modules():
        name = relative(path)
        if "/migrations/" in name:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out[name] = lines
    return out


def test_no_module_is_over_about_400_lines():
    """Small modules with one job (tests and migrations aside): none over the limit, none allowed by name."""
    assert long_modules() == {}


def html_strings(package: str) -> list[str]:
    """Modules of ``package`` with a string constant that is HTML markup."""
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and any(tag in node.value for tag in ("<html", "<td", "<table"))
            ):
                out.append(f"{relative(path)}:{node.lineno}")
    return out


def test_leaderboard_renders_no_html():
    """leaderboard/ must not render HTML (its README): the reproduce report is a template under web/templates."""
    assert html_strings("leaderboard") == []
    assert (ROOT / "web" / "templates" / "reproduction_report.html").is_file()
