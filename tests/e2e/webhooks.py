"""REST routes for interaction callbacks, followups and edits of the original response."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from tests.e2e.faults import error_response, json_response
from tests.e2e.payloads import EPHEMERAL, Json
from tests.e2e.rest import UNKNOWN_MESSAGE, Call, Router
from tests.e2e.state import InteractionRecord

if TYPE_CHECKING:
    from tests.e2e.fake import FakeDiscord

UNKNOWN_WEBHOOK, UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED = 10015, 10062, 40060
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL = 4, 5, 6, 7, 9
APPLICATION_COMMAND = 2
LOADING = 1 << 7


class WebhookApi:
    """Acknowledge interactions and serve the interaction webhook."""

    def __init__(self, fake: FakeDiscord, router: Router) -> None:
        """Register the routes on a router."""
        self.fake = fake
        self.state = fake.state
        router.add("POST", "/interactions/{interaction_id}/{token}/callback", self.callback)
        hook = "/webhooks/{app_id}/{token}"
        router.add("POST", hook, self.followup)
        for method, handler in (
            ("GET", self.get_message),
            ("PATCH", self.edit_message),
            ("DELETE", self.delete_message),
        ):
            router.add(method, f"{hook}/messages/{{message_id}}", handler)

    async def callback(self, call: Call) -> web.Response:
        """Take the one acknowledgement an interaction allows, within the deadline."""
        record = self.state.interactions.get(call.params["token"])
        if record is None or record.payload["id"] != call.params["interaction_id"]:
            return error_response(404, UNKNOWN_INTERACTION)
        if record.acked.done():
            return error_response(
                400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        now = asyncio.get_running_loop().time()
        if now - record.dispatched_at > self.fake.ack_deadline:
            self.fake.violations.append(
                f"interaction {record.payload['id']} acknowledged after"
                f" {now - record.dispatched_at:.2f}s, deadline {self.fake.ack_deadline}s"
            )
            return error_response(404, UNKNOWN_INTERACTION)
        record.acked_at = now
        kind, data = call.body.get("type"), call.body.get("data") or {}
        message = await self._apply(record, kind, data)
        record.acked.set_result(call.body)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        return json_response(self._callback_response(record, kind, message))

    async def followup(self, call: Call) -> web.Response:
        """Send a followup message through the interaction webhook."""
        record = self._record(call)
        if record is None or not record.acked.done():
            return error_response(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        created = self._add_response(record, call.body)
        await self.fake.announce("MESSAGE_CREATE", created)
        if call.query.get("wait") not in ("1", "true", "True"):
            return web.Response(status=204)
        return json_response(created)

    async def get_message(self, call: Call) -> web.Response:
        """Return the original response or a followup."""
        found = self._webhook_message(call)
        return json_response(found) if found else error_response(404, UNKNOWN_MESSAGE)

    async def edit_message(self, call: Call) -> web.Response:
        """Edit the original response (ending a deferral) or a followup."""
        found = self._webhook_message(call)
        if found is None:
            return error_response(404, UNKNOWN_MESSAGE)
        edited = self.state.edit_message(found, call.body)
        edited["flags"] &= ~LOADING
        await self.fake.announce("MESSAGE_UPDATE", edited)
        return json_response(edited)

    async def delete_message(self, call: Call) -> web.Response:
        """Delete the original response or a followup."""
        found = self._webhook_message(call)
        if found is None:
            return error_response(404, UNKNOWN_MESSAGE)
        self.state.delete_message(found)
        await self.fake.announce("MESSAGE_DELETE", found)
        return web.Response(status=204)

    async def _apply(self, record: InteractionRecord, kind: int, data: Json) -> Json | None:
        if kind == MESSAGE:
            created = self._add_response(record, data)
            record.original_id = created["id"]
            await self.fake.announce("MESSAGE_CREATE", created)
            return created
        if kind == DEFERRED_MESSAGE:
            flags = (data.get("flags") or 0) | LOADING
            created = self._add_response(record, {"content": "", "flags": flags})
            record.original_id = created["id"]
            return created
        if kind in (UPDATE_MESSAGE, DEFERRED_UPDATE):
            target = record.payload.get("message") or {}
            stored = self.state.find_message(target.get("id", "")) or target
            if kind == UPDATE_MESSAGE:
                self.state.edit_message(stored, data)
            # For a component, @original is the message the component sits on, as on Discord.
            record.original_id = stored.get("id")
            return stored
        if kind == MODAL:
            self.state.modals[data["custom_id"]] = data
        return None

    def _add_response(self, record: InteractionRecord, body: Json) -> Json:
        interaction = record.payload
        author = interaction.get("member", {}).get("user") or interaction.get("user")
        metadata = {
            "id": interaction["id"],
            "type": interaction["type"],
            "user": author,
            "authorizing_integration_owners": interaction["authorizing_integration_owners"],
        }
        return self.state.add_message(
            interaction["channel_id"],
            self.state.bot_user,
            body,
            type=20 if interaction["type"] == APPLICATION_COMMAND else 0,
            webhook_id=self.state.application_id,
            application_id=self.state.application_id,
            interaction_metadata=metadata,
        )

    def _callback_response(
        self, record: InteractionRecord, kind: int, message: Json | None
    ) -> Json:
        summary: Json = {"id": record.payload["id"], "type": record.payload["type"]}
        if message is not None and kind in (MESSAGE, DEFERRED_MESSAGE):
            summary["response_message_id"] = message["id"]
            summary["response_message_loading"] = kind == DEFERRED_MESSAGE
            summary["response_message_ephemeral"] = bool(message["flags"] & EPHEMERAL)
        body: Json = {"interaction": summary}
        if message is not None and kind in (MESSAGE, UPDATE_MESSAGE):
            body["resource"] = {"type": kind, "message": message}
        return body

    def _record(self, call: Call) -> InteractionRecord | None:
        record = self.state.interactions.get(call.params["token"])
        if record is None or call.params["app_id"] != self.state.application_id:
            return None
        return record

    def _webhook_message(self, call: Call) -> Json | None:
        record = self._record(call)
        if record is None:
            return None
        message_id = call.params["message_id"]
        if message_id == "@original":
            message_id = record.original_id or ""
        return self.state.find_message(message_id)
