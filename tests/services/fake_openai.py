"""A fake OpenAI-compatible server on 127.0.0.1: each request gets the next scripted answer."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Answers in the many shapes a model gets coaching wrong.
ADVICE = [
    "You should update your CV and talk to your manager this week.",
    "Try blocking two hours of focus time every morning.",
    "I suggest you ask for a stretch project.",
    "Here are some steps:\n1. Ask your manager for feedback.\n2. Lead a project.\n3. Present it.",
    "It is best to rest more and say no to extra meetings.",
    "Sure, here is the answer: quit your job.",
    "Most people in your position look for a mentor first.",
]
BAD_QUESTIONS = [
    "Have you considered asking your manager for a stretch project?",
    "What matters most to you here? And how will you start?",
    "Why didn't you ask for the promotion sooner?",
    "Is that what you want?",
    "Would it help to see a doctor about medication for this?",
    "What if you tried getting up an hour earlier?",
]
DIAGNOSES = [
    "It sounds like you have burnout and maybe depression.",
    "This looks like an anxiety disorder to me.",
]
GOOD_REFLECTION = "You want things to feel steadier than they do now."
GOOD_QUESTION = "What would feel different once you got there?"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, a JSON body or raw text, after an optional delay."""

    content: str | None = None
    status: int = 200
    delay: float = 0.0
    raw: str | None = None


def turn(reflection: str, question: str) -> Reply:
    """A well-formed answer carrying a reflection and a question."""
    return Reply(json.dumps({"reflection": reflection, "question": question}))


def summary(text: str) -> Reply:
    """A well-formed answer carrying a summary."""
    return Reply(json.dumps({"summary": text}))


def good() -> Reply:
    """An answer that holds the coaching contract."""
    return turn(GOOD_REFLECTION, GOOD_QUESTION)


def slow(seconds: float, then: Reply | None = None) -> Reply:
    """An answer that arrives only after a delay."""
    base = then or good()
    return Reply(base.content, base.status, seconds, base.raw)


def error(status: int = 500) -> Reply:
    """A server error."""
    return Reply(status=status)


def invalid_body() -> Reply:
    """A response whose body is not JSON at all."""
    return Reply(raw="{this is not json")


def not_json_content() -> Reply:
    """A valid completion whose message is prose instead of the JSON object asked for."""
    return Reply("Great question! You should really just talk to your manager.")


def bad_answers() -> list[Reply]:
    """Every bad answer shape at least once: advice, bad questions, diagnoses, failures."""
    replies = [turn(GOOD_REFLECTION, advice) for advice in ADVICE]
    replies += [turn(advice, GOOD_QUESTION) for advice in ADVICE]
    replies += [turn(GOOD_REFLECTION, question) for question in BAD_QUESTIONS]
    replies += [turn(diagnosis, GOOD_QUESTION) for diagnosis in DIAGNOSES]
    replies += [error(500), error(503), invalid_body(), not_json_content()]
    replies += [summary(f"{GOOD_REFLECTION} {advice}") for advice in ADVICE[:3]]
    return replies


def bad_texts() -> list[str]:
    """Every wrong sentence the fake can send, for checking that none reached a member."""
    return [*ADVICE, *BAD_QUESTIONS, *DIAGNOSES, "Great question!"]


@dataclass
class Seen:
    """One request the fake received."""

    body: dict[str, Any]
    at: float

    @property
    def messages(self) -> list[dict[str, str]]:
        """The chat messages sent."""
        return list(self.body.get("messages", []))

    @property
    def last(self) -> str:
        """The text of the last message."""
        return str(self.messages[-1]["content"]) if self.messages else ""


@dataclass
class FakeOpenAI:
    """Serve /v1/chat/completions; replies come from a script, then from `default`."""

    default: Callable[[Seen], Reply] = field(default=lambda _seen: good())
    requests: list[Seen] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _script: deque[Reply] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        """The URL to give the OpenAI client."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, replies: Iterable[Reply]) -> None:
        """Queue answers for the next requests, in order."""
        self._script.extend(replies)

    def rotate(self, replies: Iterable[Reply]) -> None:
        """Answer every request not otherwise scripted with these, in turn, forever."""
        cycle = itertools.cycle(list(replies))
        self.default = lambda _seen: next(cycle)

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(await request.json(), asyncio.get_running_loop().time())
        self.requests.append(seen)
        self.arrived.set()
        reply = self._script.popleft() if self._script else self.default(seen)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.raw is not None:
            return web.Response(text=reply.raw, content_type="application/json")
        if reply.status != 200:
            body = {"error": {"message": "the fake failed on purpose", "type": "server_error"}}
            return web.json_response(body, status=reply.status)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 0,
                "model": seen.body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )
