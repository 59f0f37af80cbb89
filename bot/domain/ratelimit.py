"""A token bucket: the pace at which scheduled DMs may go out."""

from __future__ import annotations

from dataclasses import dataclass, field

# Discord allows 50 requests a second per bot; staying at 40 leaves room for interactions.
DEFAULT_RATE = 40.0


@dataclass
class TokenBucket:
    """Allow `rate` events a second on average, in bursts of at most `capacity`."""

    rate: float = DEFAULT_RATE
    capacity: float = 1.0
    _tokens: float = field(default=-1.0, repr=False)
    _stamp: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("rate must be positive and capacity at least 1")
        self._tokens = self.capacity

    def reserve(self, now: float) -> float:
        """Take one token and return how long to wait (seconds) before using it."""
        if self._stamp is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        self._tokens -= 1.0
        # A negative balance is a queue: each waiter is one interval behind the last.
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate
