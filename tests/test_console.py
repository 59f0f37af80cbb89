"""`mentorbot chat --json` end to end, as a member in a terminal would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.domain.contract import Exchange, score
from bot.domain.frameworks import SHIPPED
from bot.domain.state import Reply, ReplyKind
from tests.conversations import EXPECTED, SCRIPTS
from tests.fixtures_db import bot_database_env, bot_database_url, query


def chat(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """Run the console chat in a fresh process against a database in tmp_path."""
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    env.update(bot_database_env(tmp_path / "data"))
    env.pop("DISCORD_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def records(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("framework_id", SHIPPED)
def test_scripted_json_conversation_reaches_done(tmp_path: Path, framework_id: str) -> None:
    script = SCRIPTS[framework_id]
    result = chat(
        tmp_path, framework_id, "--json", "--member", "alex", stdin="\n".join(script) + "\n"
    )
    assert result.returncode == 0, result.stderr
    out = records(result)
    assert len(out) == len(script) + 1
    assert all({"text", "stage", "done"} <= r.keys() for r in out)
    assert [r["done"] for r in out] == [False] * len(script) + [True]
    goal, commitment = EXPECTED[framework_id]
    assert commitment in str(out[-1]["text"])
    if goal:
        assert goal in str(out[-1]["text"])

    exchanges = [
        Exchange(said, [Reply(ReplyKind(p["kind"]), p["text"]) for p in r["replies"]])  # type: ignore[index,union-attr]
        for said, r in zip([None, *script], out, strict=True)
    ]
    report = score(exchanges)
    assert report.violations == []
    assert report.non_directive_share == 1.0

    rows = query(
        bot_database_url(tmp_path / "data"), "SELECT text, due_date, status FROM commitments"
    )
    assert len(rows) == 1
    assert commitment in rows[0][0]
    assert rows[0][1] is not None
    assert rows[0][2] == "open"


def test_input_ending_midway_pauses_and_resume_carries_on(tmp_path: Path) -> None:
    script = SCRIPTS["grow"]
    first = chat(tmp_path, "grow", "--json", "--member", "sam", stdin=script[0] + "\n")
    assert first.returncode == 0, first.stderr
    assert records(first)[-1]["status"] == "paused"
    rest = "\n".join(script[1:]) + "\n"
    second = chat(tmp_path, "grow", "--json", "--member", "sam", "--resume", stdin=rest)
    assert second.returncode == 0, second.stderr
    out = records(second)
    assert out[0]["stage"] == "reality"
    assert out[-1]["done"] is True
    assert script[0] in str(out[-1]["text"])


def test_resume_without_an_open_conversation_says_so(tmp_path: Path) -> None:
    result = chat(tmp_path, "grow", "--resume", "--member", "nobody", stdin="")
    assert result.returncode == 1
    assert "no open coaching conversation" in result.stderr


def test_unknown_framework_lists_the_known_ones(tmp_path: Path) -> None:
    result = chat(tmp_path, "nope", stdin="")
    assert result.returncode == 2
    assert "grow" in result.stderr


def test_plain_text_mode_shows_stage_headers(tmp_path: Path) -> None:
    result = chat(tmp_path, "grow", "--member", "kim", stdin="end\n")
    assert result.returncode == 0, result.stderr
    assert "[GROW" in result.stdout
    assert "nothing to summarise" in result.stdout


def test_a_flagged_message_is_marked_in_the_json(tmp_path: Path) -> None:
    lines = (
        "I want to get promoted this year\n"
        "sometimes i think everyone would be better off without me\n"
    )
    result = chat(tmp_path, "grow", "--json", "--member", "lee", stdin=lines)
    assert result.returncode == 0, result.stderr
    out = records(result)
    assert [r["safety"] for r in out] == [False, False, True]
    assert out[-1]["status"] == "paused"
    assert "not an emergency service" in str(out[-1]["text"])
