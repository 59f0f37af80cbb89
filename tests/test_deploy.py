"""The container files: a non-root two-stage image, compose with an optional PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.observability.health import Check, HealthMonitor
from bot.observability.server import HealthServer

ROOT = Path(__file__).resolve().parent.parent
DATA = "/home/mentorbot/data"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def env_of(args: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", args))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads docker-compose.yml")
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_image_builds_in_two_stages_and_runs_as_a_user() -> None:
    steps = instructions()
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) == 2
    assert froms[0].endswith(" AS build")
    assert any(word == "COPY" and args.startswith("--from=build") for word, args in steps)
    users = [(i, args) for i, (word, args) in enumerate(steps) if word == "USER"]
    assert users
    assert users[-1][1] not in ("root", "0")
    # Everything after the last USER runs unprivileged, including the bot itself.
    entry = next(i for i, (word, _) in enumerate(steps) if word == "ENTRYPOINT")
    assert users[-1][0] < entry
    assert json.loads(dict(steps)["ENTRYPOINT"]) == ["mentorbot"]
    assert json.loads(dict(steps)["CMD"]) == ["run"]  # run applies migrations first


def test_image_declares_data_volume_port_and_json_logs() -> None:
    steps = instructions()
    env: dict[str, str] = {}
    for word, args in steps:
        if word == "ENV":
            env.update(env_of(args))
    assert env["DATA_DIR"] == DATA
    assert env["LOG_FORMAT"] == "json"
    assert env["HEALTH_HOST"] == "0.0.0.0"
    assert json.loads(dict(steps)["VOLUME"]) == [DATA]
    assert dict(steps)["EXPOSE"] == env["HEALTH_PORT"]
    # The data folder exists, owned by the bot's user, before the volume is declared.
    user_at = max(i for i, (word, _) in enumerate(steps) if word == "USER")
    mkdir_at = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and f"mkdir -p {DATA}" in a)
    volume_at = next(i for i, (word, _) in enumerate(steps) if word == "VOLUME")
    assert user_at < mkdir_at < volume_at


def test_env_example_lists_every_setting_and_loads_as_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    example = ROOT / ".env.example"
    listed = set(re.findall(r"^([A-Z_]+)=", example.read_text(encoding="utf-8"), re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} <= listed
    # `cp .env.example .env` must start cleanly: an empty value means unset.
    settings = Settings(_env_file=example)  # type: ignore[call-arg]
    assert settings.discord_token is None
    assert settings.discord_guild_id is None
    assert settings.frameworks_dir is None
    assert settings.health_port is None
    assert settings.log_format == "text"
    assert settings.db_url.endswith("data/mentorbot.db")


def test_dockerignore_keeps_secrets_and_member_data_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".env", "data/", "*.db", ".venv", ".git"):
        assert pattern in ignored


def test_compose_runs_the_bot_with_its_volume_restart_and_healthcheck(
    compose: dict[str, Any],
) -> None:
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    assert bot["restart"] == "unless-stopped"
    assert f"bot-data:{DATA}" in bot["volumes"]
    assert "bot-data" in compose["volumes"]
    assert bot["environment"]["DATA_DIR"] == DATA
    port = bot["environment"]["HEALTH_PORT"]
    assert bot["environment"]["HEALTH_HOST"] == "0.0.0.0"
    assert f"127.0.0.1:{port}:{port}" in bot["ports"]
    check = bot["healthcheck"]
    assert check["test"][:3] == ["CMD", "python", "-c"]
    assert "/healthz" in check["test"][3]
    assert "postgres" not in bot.get("profiles", [])  # the bot always runs


def test_compose_postgres_is_optional_healthy_first_and_persistent(
    compose: dict[str, Any],
) -> None:
    pg = compose["services"]["postgres"]
    assert pg["profiles"] == ["postgres"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["environment"]["POSTGRES_DB"] == "mentorbot"
    assert "POSTGRES_PASSWORD" in pg["environment"]["POSTGRES_PASSWORD"]
    assert "postgres-data:/var/lib/postgresql/data" in pg["volumes"]
    assert "postgres-data" in compose["volumes"]
    wait = compose["services"]["bot"]["depends_on"]["postgres"]
    assert wait == {"condition": "service_healthy", "required": False}


def test_compose_file_matches_the_compose_schema_where_it_is_available(
    compose: dict[str, Any],
) -> None:
    schema_file = os.environ.get("COMPOSE_SPEC_SCHEMA")
    if not schema_file or not Path(schema_file).is_file():
        pytest.skip("set COMPOSE_SPEC_SCHEMA to compose-spec's schema/compose-spec.json")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(Path(schema_file).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(compose)


def dockerfile_probe() -> list[str]:
    """The HEALTHCHECK command of the Dockerfile, as the container would run it."""
    args = dict(instructions())["HEALTHCHECK"]
    command = json.loads(args[args.index("CMD") + 3 :].strip())
    assert command[:2] == ["python", "-c"]
    return [sys.executable, *command[1:]]


async def run(command: list[str], port: int) -> int:
    env = {**os.environ, "HEALTH_PORT": str(port)}
    proc = await asyncio.create_subprocess_exec(*command, env=env)
    return await asyncio.wait_for(proc.wait(), 20)


async def test_both_health_commands_pass_only_while_healthz_says_ok(
    compose: dict[str, Any],
) -> None:
    compose_probe = [sys.executable, "-c", compose["services"]["bot"]["healthcheck"]["test"][3]]
    state = {"ok": True}
    server = HealthServer(HealthMonitor(instant={"gateway": lambda: Check(state["ok"], "as set")}))
    await server.start()
    try:
        for command in (dockerfile_probe(), compose_probe):
            state["ok"] = True
            assert await run(command, server.port) == 0
            state["ok"] = False
            assert await run(command, server.port) == 1
    finally:
        await server.stop()
    # Nothing listening (the bot is down): the check fails too.
    for command in (dockerfile_probe(), compose_probe):
        assert await run(command, server.port) == 1
