"""The token bucket that paces scheduled DMs."""

import pytest

from bot.domain.ratelimit import TokenBucket


def test_a_burst_is_spread_at_the_rate() -> None:
    bucket = TokenBucket(rate=40, capacity=1)
    waits = [bucket.reserve(100.0) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.025, 0.05, 0.075, 0.1])


def test_reservations_honoured_over_time_never_exceed_the_rate() -> None:
    bucket = TokenBucket(rate=40, capacity=1)
    now, send_times = 0.0, []
    for _ in range(400):
        wait = bucket.reserve(now)
        now += wait
        send_times.append(now)
    for i in range(len(send_times) - 40):
        assert send_times[i + 40] - send_times[i] >= 1.0 - 1e-9
    assert send_times[-1] == pytest.approx(399 / 40)


def test_idle_time_refills_up_to_capacity_only() -> None:
    bucket = TokenBucket(rate=10, capacity=3)
    assert [bucket.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(0.0) == pytest.approx(0.1)
    assert [bucket.reserve(60.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(60.0) == pytest.approx(0.1)


@pytest.mark.parametrize(("rate", "capacity"), [(0, 1), (-1, 1), (10, 0.5)])
def test_bad_settings(rate: float, capacity: float) -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(rate=rate, capacity=capacity)
