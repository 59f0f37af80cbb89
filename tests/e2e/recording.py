"""Record what the client sends, in lists that a test can await."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from aiohttp import BodyPartReader, web

T = TypeVar("T")


@dataclass
class RecordedRequest:
    """One REST request the client made, and the status the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    multipart: bool = False
    status: int = 0
    response: Any = None
    files: list[str] = field(default_factory=list)
    at: float = 0.0  # when the fake received it, on the fake's clock (time.monotonic)
    deduplicated: bool = False  # answered with an earlier message because of its nonce

    def matches(self, method: str, path_regex: str) -> bool:
        """Tell whether this request has the method and a path matching the regex."""
        return self.method == method.upper() and re.search(path_regex, self.path) is not None


class AwaitableLog(Generic[T]):
    """An append-only list whose future entries can be awaited by predicate."""

    def __init__(self, what: str) -> None:
        """Name the entries for failure messages."""
        self.what = what
        self.items: list[T] = []
        self._waiters: list[tuple[Callable[[T], bool], asyncio.Future[T]]] = []

    def __iter__(self) -> Iterator[T]:
        """Iterate over the entries so far."""
        return iter(self.items)

    def __len__(self) -> int:
        """Return how many entries were recorded."""
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        """Return one entry, or a list of them for a slice."""
        return self.items[index]

    def append(self, item: T) -> None:
        """Record an entry and wake the waiters it satisfies."""
        self.items.append(item)
        for predicate, future in list(self._waiters):
            if not future.done() and predicate(item):
                future.set_result(item)

    def matching(self, predicate: Callable[[T], bool]) -> list[T]:
        """Return the entries so far that satisfy a predicate."""
        return [item for item in self.items if predicate(item)]

    async def wait_for(
        self,
        predicate: Callable[[T], bool],
        timeout: float = 3.0,  # noqa: ASYNC109
        *,
        start: int = 0,
    ) -> T:
        """Return the first entry from index `start` on that satisfies a predicate."""
        for item in self.items[start:]:
            if predicate(item):
                return item
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"no matching {self.what} within {timeout}s") from None
        finally:
            self._waiters.remove(entry)


async def read_body(request: web.Request) -> tuple[Any, bool, list[str]]:
    """Return the JSON body (or multipart payload_json), whether it was multipart, file names."""
    if not request.body_exists:
        return None, False, []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        files: list[str] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                files.append(part.filename or part.name or "")
                await part.read()
        return body, True, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), False, []
