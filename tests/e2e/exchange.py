"""An interaction the test dispatched, its acknowledgement, and what followed it."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.e2e.payloads import Json
from tests.e2e.recording import AwaitableLog, RecordedRequest
from tests.e2e.state import FakeState, InteractionRecord


@dataclass
class Exchange:
    """An interaction the test dispatched and the bot's acknowledgement of it."""

    state: FakeState
    requests: AwaitableLog[RecordedRequest]
    record: InteractionRecord
    callback: Json
    elapsed: float
    start: int
    _seen: int = field(default=0, repr=False)

    @property
    def type(self) -> int:
        """Return the callback type (4 message, 5 deferred, 6/7 update, 9 modal)."""
        return int(self.callback["type"])

    @property
    def data(self) -> Json:
        """Return the callback data (an empty dict for deferrals)."""
        return self.callback.get("data") or {}

    @property
    def message(self) -> Json | None:
        """Return the original response message as it stands now."""
        return self.state.find_message(self.record.original_id or "")

    async def next_webhook(self, timeout: float = 3.0) -> RecordedRequest:  # noqa: ASYNC109
        """Return the next followup or edit the bot sent through this interaction's webhook."""
        token = self.record.payload["token"]
        found = await self.requests.wait_for(
            lambda r: r.path.startswith("/webhooks/") and token in r.path,
            timeout,
            start=max(self.start, self._seen),
        )
        # By identity: two identical requests must not be mistaken for one another.
        self._seen = next(i for i, r in enumerate(self.requests) if r is found) + 1
        return found
