"""SIGKILL the bot while it sends debriefs: each occurrence still goes out exactly once."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.fake import FakeDiscord
from tests.e2e.killer import run_with_kills

MEMBERS = 150  # bench/kill_restart.py runs the same at 10,000


async def test_kills_mid_send_lose_nothing_and_send_nothing_twice(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    # Some sends reach Discord but their answer is lost: the retry must not make a second DM.
    fake_discord.fail_next("POST", r"/channels/\d+/messages$", 500, lose_response=True, times=3)
    report = await run_with_kills(fake_discord, tmp_path, MEMBERS, kills=3, timeout=120)
    assert report.kills == 3
    assert report.statuses == {"sent": MEMBERS}, report
    assert report.delivered_users == MEMBERS
    assert report.duplicate_messages == 0
    assert report.nonce_dedups >= 3
    assert fake_discord.duplicate_messages(key="nonce") == {}
