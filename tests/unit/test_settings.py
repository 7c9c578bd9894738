"""One typed settings object reads every LEADERBOARD_* variable (common/settings.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.errors import UserError
from common.settings import Settings, settings, variable

pytestmark = pytest.mark.no_db

ROOT = Path(__file__).resolve().parents[2]
# the code that ships (pyproject's packages) and the perf scripts; tests/ and the screenshot
# tool (docs/screenshots, LEADERBOARD_CHROMIUM) have flags of their own
SOURCE_FOLDERS = ("common", "benchmarks", "runners", "submissions", "leaderboard", "web", "perf")
NAME = re.compile(r"LEADERBOARD_[A-Z0-9_]*[A-Z0-9]")


def _names_in_source() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in NAME.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_leaderboard_variable_in_the_code_is_a_settings_field():
    fields = {variable(name) for name in Settings.model_fields}
    unknown = {name: where for name, where in _names_in_source().items() if name not in fields}
    assert not unknown, f"variables read outside common/settings.py or not declared there: {unknown}"


def test_every_settings_field_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [variable(name) for name in Settings.model_fields if variable(name) not in readme]
    assert not missing, f"README.md's Settings section does not name {missing}"


def test_no_module_but_settings_reads_a_leaderboard_variable_from_the_environment():
    reads = re.compile(r"environ(?:\.get)?[\[(]\s*[\"']LEADERBOARD_|getenv\(\s*[\"']LEADERBOARD_|envvar=\s*[\"']LEADERBOARD_")
    offenders = []
    for folder in SOURCE_FOLDERS[:-1]:
        for path in (ROOT / folder).rglob("*.py"):
            if path.name != "settings.py" and reads.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("LEADERBOARD_MAX_TASKS", "abc", "valid integer"),
        ("LEADERBOARD_EMBEDDINGS_IN_RAM_MB", "lots", "valid number"),
        ("LEADERBOARD_AUTO_PUBLISH", "perhaps", "valid boolean"),
        ("LEADERBOARD_SUBMISSION_POLICY", "sometimes", "'auto' or 'review'"),
        ("LEADERBOARD_HUB_PATTERN", "([a-z]", "not a regular expression"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    with pytest.raises(UserError) as caught:
        settings()
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r} is not valid") and words in message and "\n" not in message


def test_a_bad_limit_stops_a_submission_check_with_that_line(monkeypatch):
    from submissions.policy import limits

    monkeypatch.setenv("LEADERBOARD_MAX_TASKS", "forty")
    with pytest.raises(UserError, match="LEADERBOARD_MAX_TASKS='forty'"):
        limits()


def test_defaults_are_the_documented_ones(monkeypatch, tmp_path):
    for name in Settings.model_fields:
        monkeypatch.delenv(variable(name), raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    current = settings()
    assert (current.max_tasks, current.max_parameters, current.max_runtime_s) == (40, 2_000_000_000, 21_600)
    assert (current.rate_limit_per_hour, current.max_attempts, current.auto_publish) == (20, 3, True)
    assert (current.device, current.embeddings_in_ram_mb, current.submission_policy) == ("auto", 2048.0, "auto")
    assert current.csrf_max_age_s == 4 * 3600 and not current.secure_cookies and current.secret_key is None
    assert current.data_root() == tmp_path / "data" / "leaderboard" / "datasets"
    assert current.cache_root() == tmp_path / "cache" / "leaderboard"
    assert current.db_url() == f"sqlite:///{tmp_path / 'data' / 'leaderboard' / 'leaderboard.db'}"
    assert current.weight_root_paths() == []


def test_settings_follow_the_environment_and_empty_means_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEADERBOARD_MAX_TASKS", "7")
    assert settings().data_root() == tmp_path.resolve() and settings().max_tasks == 7
    monkeypatch.setenv("LEADERBOARD_MAX_TASKS", "")
    assert settings().max_tasks == 40
    monkeypatch.setenv("LEADERBOARD_AUTO_PUBLISH", "0")
    assert settings().auto_publish is False
