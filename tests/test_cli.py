"""The `mentorbot` command line, run in-process on a temporary data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.config import get_settings
from bot.domain.frameworks import SHIPPED, builtin_dir
from tests.fixtures_db import MIGRATION_HEAD, bot_database_env, on_postgresql


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every setting at tmp_path and read the settings afresh."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "FRAMEWORKS_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in bot_database_env(tmp_path / "data").items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_run_without_a_token_fails_fast_and_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err
    assert "mentorbot chat grow" in err


def test_frameworks_lists_id_and_title(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frameworks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == sorted(SHIPPED)
    assert all("\t" in line and line.split("\t")[1] for line in lines)


def test_frameworks_includes_an_extra_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    source = (builtin_dir() / "grow.toml").read_text(encoding="utf-8")
    (extra / "grow_copy.toml").write_text(
        source.replace('id = "grow"', 'id = "grow_copy"', 1), encoding="utf-8"
    )
    monkeypatch.setenv("FRAMEWORKS_DIR", str(extra))
    get_settings.cache_clear()
    assert cli.main(["frameworks"]) == 0
    assert "grow_copy\t" in capsys.readouterr().out


def test_check_accepts_a_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frameworks", "check", str(builtin_dir() / "star_story.toml")]) == 0
    assert "ok (star_story" in capsys.readouterr().out


def test_check_names_the_field_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "bad"\ntitle = "Bad"\npurpose = "p"\n\n[[stages]]\nid = "one"\ntitle = "One"\n'
        'purpose = "p"\nquestions = ["What now?"]\ncapture = { kind = "vibes", key = "k" }\n',
        encoding="utf-8",
    )
    assert cli.main(["frameworks", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 10" in err
    assert "stages.0.capture.kind" in err


def test_check_without_a_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frameworks", "check"]) == 2
    assert "usage" in capsys.readouterr().err


def test_db_upgrade_current_downgrade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    assert f"database at {MIGRATION_HEAD}" in capsys.readouterr().out
    assert on_postgresql() or (tmp_path / "data" / "mentorbot.db").exists()
    assert cli.main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == MIGRATION_HEAD
    assert cli.main(["db", "downgrade", "base"]) == 0
    assert "database at base" in capsys.readouterr().out


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["dance"])
    assert exited.value.code == 2
