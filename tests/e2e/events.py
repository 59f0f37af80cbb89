"""Build gateway event payloads in their documented shapes: interactions and messages."""

from __future__ import annotations

import secrets
from typing import Any

from tests.e2e import payloads as p
from tests.e2e.payloads import Json
from tests.e2e.state import FakeState

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT = 1, 2, 3, 5
GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1
GUILD_INSTALL, USER_INSTALL = "0", "1"
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
_OPTION_TYPES = ((bool, 5), (int, 4), (float, 10), (str, 3))
USER_OPTION, CHANNEL_OPTION, ROLE_OPTION = 6, 7, 8
_SELECT_TYPES = {3, 5, 6, 7, 8}


class EventBuilders:
    """Payload builders shared by the fake; they read the fake's world but send nothing."""

    state: FakeState

    def make_slash_interaction(
        self,
        user: Json,
        guild_id: str | None,
        channel_id: str | None,
        command_name: str,
        options: dict[str, Any] | list[Json] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
    ) -> Json:
        """Return an INTERACTION_CREATE for a slash command (options: name->value or raw list)."""
        command = self.state.find_command(command_name, guild_id)
        built, resolved = _options(options, self.state, guild_id)
        if subcommand is not None:
            built = [{"type": SUB_COMMAND, "name": subcommand, "options": built}]
        if group is not None:
            built = [{"type": SUB_COMMAND_GROUP, "name": group, "options": built}]
        data: Json = {
            # An unsynced command still gets an id, so tests need not sync first.
            "id": command["id"] if command else self.state.ids.next(),
            "name": command_name,
            "type": 1,
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if command and "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return {**self._interaction(APPLICATION_COMMAND, user, guild_id, channel_id), "data": data}

    def make_component_interaction(
        self, user: Json, message: Json, custom_id: str, values: list[str] | None = None
    ) -> Json:
        """Return an INTERACTION_CREATE for a click or a selection on a message's component."""
        component = _find_component(message.get("components", []), custom_id)
        if component is None:
            raise ValueError(f"message {message['id']} has no component {custom_id!r}")
        data: Json = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] in _SELECT_TYPES:
            data["values"] = values or []
        base = self._interaction(
            MESSAGE_COMPONENT, user, message.get("guild_id"), message["channel_id"]
        )
        return {**base, "data": data, "message": message}

    def make_modal_submit(
        self, opened_by: Json, values: dict[str, Any], *, custom_id: str | None = None
    ) -> Json:
        """Return the MODAL_SUBMIT for the modal the bot opened in answer to `opened_by`."""
        record = self.state.interactions.get(opened_by["token"])
        if custom_id is None:
            if record is None or not record.acked.done() or record.acked.result()["type"] != 9:
                raise ValueError("the bot did not answer that interaction with a modal")
            custom_id = record.acked.result()["data"]["custom_id"]
        modal = self.state.modals.get(custom_id)
        if modal is None:
            raise ValueError(f"the bot never opened a modal {custom_id!r}")
        unknown = set(values) - set(_iter_inputs(modal["components"]))
        if unknown:
            raise ValueError(f"modal {custom_id!r} has no inputs {sorted(unknown)}")
        user = opened_by.get("member", {}).get("user") or opened_by["user"]
        base = self._interaction(
            MODAL_SUBMIT, user, opened_by.get("guild_id"), opened_by["channel_id"]
        )
        components = [_submitted(c, values) for c in p.number_components(modal["components"])]
        submit: Json = {**base, "data": {"custom_id": custom_id, "components": components}}
        if "message" in opened_by:
            submit["message"] = opened_by["message"]
        return submit

    def make_dm_message(self, user: Json, content: str) -> Json:
        """Store a DM from a user to the bot and return its MESSAGE_CREATE payload."""
        channel = self.state.dm_channel_for(user["id"])
        return self.state.add_message(channel["id"], user, {"content": content})

    def make_guild_message(self, user: Json, channel_id: str, content: str) -> Json:
        """Store a message from a member in a guild channel and return its MESSAGE_CREATE."""
        created = self.state.add_message(channel_id, user, {"content": content})
        member = self.state.member_of(created["guild_id"], user["id"])
        created["member"] = {k: v for k, v in member.items() if k != "user"}
        return created

    def _interaction(
        self, kind: int, user: Json, guild_id: str | None, channel_id: str | None
    ) -> Json:
        state = self.state
        if guild_id is None:
            channel = state.dm_channel_for(user["id"])
        else:
            channel = state.channels[channel_id or state.guilds[guild_id].channel_ids[0]]
        payload: Json = {
            "id": state.ids.next(),
            "application_id": state.application_id,
            "type": kind,
            "token": "itok." + secrets.token_urlsafe(32),
            "version": 1,
            "locale": "en-US",
            "app_permissions": p.ALL_PERMISSIONS,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": channel["id"],
            "channel": {**channel, "permissions": p.ALL_PERMISSIONS},
        }
        if guild_id is None:
            payload["context"] = BOT_DM_CONTEXT
            payload["authorizing_integration_owners"] = {USER_INSTALL: user["id"]}
            payload["user"] = user
            return payload
        member = state.member_of(guild_id, user["id"])
        payload["context"] = GUILD_CONTEXT
        payload["authorizing_integration_owners"] = {GUILD_INSTALL: guild_id}
        payload["guild_id"] = guild_id
        payload["guild"] = {"id": guild_id, "locale": "en-US", "features": []}
        payload["guild_locale"] = "en-US"
        permissions = state.permissions_of(guild_id, user["id"])
        payload["member"] = {**member, "permissions": permissions}
        payload["channel"]["permissions"] = permissions
        return payload


def _options(
    options: dict[str, Any] | list[Json] | None, state: FakeState, guild_id: str | None
) -> tuple[list[Json], Json]:
    """Build option objects; users, roles and channels (passed as objects) go in `resolved`."""
    if options is None:
        return [], {}
    if isinstance(options, list):
        return options, {}
    built: list[Json] = []
    resolved: dict[str, dict[str, Json]] = {}
    for name, value in options.items():
        if isinstance(value, dict):
            kind, section = _entity_kind(value)
            resolved.setdefault(section, {})[value["id"]] = value
            if kind == USER_OPTION and guild_id is not None:
                member = state.member_of(guild_id, value["id"])
                resolved.setdefault("members", {})[value["id"]] = {
                    **{k: v for k, v in member.items() if k != "user"},
                    "permissions": state.permissions_of(guild_id, value["id"]),
                }
            if kind == CHANNEL_OPTION:
                resolved[section][value["id"]] = {**value, "permissions": p.ALL_PERMISSIONS}
            built.append({"type": kind, "name": name, "value": value["id"]})
            continue
        kind = next(code for cls, code in _OPTION_TYPES if isinstance(value, cls))
        built.append({"type": kind, "name": name, "value": value})
    return built, resolved


def _entity_kind(value: Json) -> tuple[int, str]:
    """Tell a user, role or channel object apart by the fields only it has."""
    if "username" in value:
        return USER_OPTION, "users"
    if "permissions" in value and "hoist" in value:
        return ROLE_OPTION, "roles"
    if "type" in value:
        return CHANNEL_OPTION, "channels"
    raise ValueError(f"cannot tell what kind of object option {value!r} is")


def _find_component(node: Any, custom_id: str) -> Json | None:
    if isinstance(node, list):
        for item in node:
            found = _find_component(item, custom_id)
            if found is not None:
                return found
    elif isinstance(node, dict):
        if node.get("custom_id") == custom_id:
            return node
        for key in ("components", "component", "accessory"):
            found = _find_component(node.get(key), custom_id)
            if found is not None:
                return found
    return None


def _iter_inputs(components: list[Json]) -> list[str]:
    found: list[str] = []
    for component in components:
        inner = component.get("components") or [component.get("component") or component]
        found += [c["custom_id"] for c in inner if "custom_id" in c]
    return found


def _submitted(component: Json, values: dict[str, Any]) -> Json:
    """Mirror one top-level modal component as Discord reports it back on submit."""
    if component["type"] == 1:
        return {
            **_keep(component),
            "components": [_value(c, values) for c in component["components"]],
        }
    if component["type"] == 18:
        return {**_keep(component), "component": _value(component["component"], values)}
    return _keep(component)


def _value(component: Json, values: dict[str, Any]) -> Json:
    out = {**_keep(component), "custom_id": component["custom_id"]}
    if component["type"] in _SELECT_TYPES:
        out["values"] = list(values.get(component["custom_id"], []))
    else:
        out["value"] = values.get(component["custom_id"], component.get("value") or "")
    return out


def _keep(component: Json) -> Json:
    return {"type": component["type"], "id": component["id"]}
