"""Errors a member may see, as opposed to bugs."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is written for the member and shown to them as it is."""


class UnknownFramework(UserFacingError):
    """The member named a framework the bot does not have."""

    def __init__(self, framework_id: str, known: list[str]) -> None:
        super().__init__(
            f"There is no framework called '{framework_id}'. Available: {', '.join(known)}."
        )


class NoOpenConversation(UserFacingError):
    """The member has no paused or active conversation to act on."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or "You have no open coaching conversation right now.")


class StaleAction(UserFacingError):
    """A button or menu on an older message, pressed after the conversation moved on."""

    def __init__(self) -> None:
        super().__init__(
            "That question has already been answered. Use the buttons on the newest message."
        )
