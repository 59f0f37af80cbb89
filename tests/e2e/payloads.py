"""Build Discord objects in their documented JSON shapes (ids as strings)."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
ALL_PERMISSIONS = str((1 << 51) - 1)
TEXT_CHANNEL, DM_CHANNEL, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 11, 12
EPHEMERAL = 1 << 6

Json = dict[str, Any]


class Snowflakes:
    """Hand out increasing snowflake ids based on the current time."""

    def __init__(self) -> None:
        """Start the per-process increment at zero."""
        self._counter = itertools.count()

    def next(self) -> str:
        """Return a fresh snowflake as Discord sends it: a decimal string."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._counter) & 0xFFF))


def iso_now() -> str:
    """Return the current UTC time in Discord's ISO 8601 form."""
    return datetime.now(UTC).isoformat()


def user(user_id: str, username: str, *, bot: bool = False) -> Json:
    """Return a user object."""
    return {
        "id": user_id,
        "username": username,
        "global_name": username.title(),
        "discriminator": "0",
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
        "primary_guild": None,
    }


def private_user(base: Json) -> Json:
    """Return the /users/@me shape of a user (adds the account-only fields)."""
    return {**base, "mfa_enabled": False, "locale": "en-US", "verified": True}


def member(user_obj: Json, *, roles: list[str] | None = None, joined_at: str = "") -> Json:
    """Return a guild member object; discord.py requires `flags`."""
    return {
        "user": user_obj,
        "nick": None,
        "avatar": None,
        "roles": roles or [],
        "joined_at": joined_at or iso_now(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def role(role_id: str, name: str, *, position: int = 0, permissions: str = "0") -> Json:
    """Return a role object."""
    return {
        "id": role_id,
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": permissions,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(channel_id: str, guild_id: str, name: str, *, position: int = 0) -> Json:
    """Return a guild text channel object."""
    return {
        "id": channel_id,
        "type": TEXT_CHANNEL,
        "guild_id": guild_id,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def dm_channel(channel_id: str, recipient: Json) -> Json:
    """Return a DM channel object."""
    return {
        "id": channel_id,
        "type": DM_CHANNEL,
        "last_message_id": None,
        "flags": 0,
        "recipients": [recipient],
    }


def thread(thread_id: str, parent: Json, name: str, owner_id: str, *, private: bool) -> Json:
    """Return a thread channel object created under a guild text channel."""
    return {
        "id": thread_id,
        "type": PRIVATE_THREAD if private else PUBLIC_THREAD,
        "guild_id": parent["guild_id"],
        "parent_id": parent["id"],
        "name": name,
        "owner_id": owner_id,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso_now(),
            "locked": False,
            "invitable": True,
            "create_timestamp": iso_now(),
        },
    }


def guild_create(
    guild: Json, channels: list[Json], members: list[Json], roles: list[Json], threads: list[Json]
) -> Json:
    """Return the GUILD_CREATE payload of an available guild."""
    return {
        **guild,
        "unavailable": False,
        "large": False,
        "member_count": len(members),
        "joined_at": iso_now(),
        # Channels inside GUILD_CREATE carry no guild_id.
        "channels": [{k: v for k, v in c.items() if k != "guild_id"} for c in channels],
        "members": members,
        "roles": roles,
        "threads": threads,
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "emojis": [],
        "stickers": [],
    }


def guild(guild_id: str, name: str, owner_id: str) -> Json:
    """Return the base guild object (the part shared by REST and GUILD_CREATE)."""
    return {
        "id": guild_id,
        "name": name,
        "icon": None,
        "owner_id": owner_id,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "features": [],
        "description": None,
        "banner": None,
        "splash": None,
        "discovery_splash": None,
        "vanity_url_code": None,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "application_id": None,
        "max_members": 500000,
        "max_presences": None,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "premium_progress_bar_enabled": False,
        "home_header": None,
        "region": "deprecated",
        "widget_enabled": False,
        "widget_channel_id": None,
        "nsfw": False,
        "incidents_data": None,
    }


def message(message_id: str, channel_id: str, author: Json, body: Json, **extra: Any) -> Json:
    """Return a stored message built from a create body (content, embeds, components...)."""
    return {
        "id": message_id,
        "channel_id": channel_id,
        "type": 0,
        "author": author,
        "content": body.get("content") or "",
        "embeds": body.get("embeds") or [],
        "components": number_components(body.get("components") or []),
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": bool(body.get("tts")),
        "flags": body.get("flags") or 0,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        **({"nonce": body["nonce"]} if body.get("nonce") is not None else {}),
        **extra,
    }


def attachment(attachment_id: str, channel_id: str, filename: str) -> Json:
    """Return the stored attachment for an uploaded file (its bytes are not kept)."""
    url = f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{filename}"
    return {
        "id": attachment_id,
        "filename": filename,
        "size": 0,
        "url": url,
        "proxy_url": url,
    }


def number_components(components: list[Json]) -> list[Json]:
    """Give every component the numeric `id` Discord assigns when the client leaves it out."""
    counter = itertools.count(1)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = dict(node)
        # Pre-order, as Discord numbers a tree from the top.
        if "type" in out and out.get("id") is None:
            out["id"] = next(counter)
        return {key: walk(value) for key, value in out.items()}

    return walk(components)  # type: ignore[no-any-return]
