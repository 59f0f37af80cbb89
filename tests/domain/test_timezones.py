"""Time-zone search for the schedule's autocomplete."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.timezones import (
    ABBREVIATIONS,
    POPULAR,
    RENAMED,
    is_valid_zone,
    load_zone,
    places,
    search_zones,
    selectable_zones,
)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("London", "Europe/London"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("america/new_york", "America/New_York"),
        ("york", "America/New_York"),
        ("angeles", "America/Los_Angeles"),
        ("sao paulo", "America/Sao_Paulo"),
        ("são paulo", "America/Sao_Paulo"),
        ("SÃO PAULO", "America/Sao_Paulo"),
        ("kyiv", "Europe/Kyiv"),
        ("kiev", "Europe/Kyiv"),
        ("buenos aires", "America/Argentina/Buenos_Aires"),
        ("st. john's", "America/St_Johns"),
        ("port-au-prince", "America/Port-au-Prince"),
        ("zürich", "Europe/Zurich"),
        ("  Lord   Howe ", "Australia/Lord_Howe"),
        ("utc", "UTC"),
        # Cities that are not zone names.
        ("san francisco", "America/Los_Angeles"),
        ("Seattle", "America/Los_Angeles"),
        ("boston", "America/New_York"),
        ("bangalore", "Asia/Kolkata"),
        ("Bengaluru", "Asia/Kolkata"),
        ("mumbai", "Asia/Kolkata"),
        ("delhi", "Asia/Kolkata"),
        ("beijing", "Asia/Shanghai"),
        ("munich", "Europe/Berlin"),
        ("München", "Europe/Berlin"),
        ("barcelona", "Europe/Madrid"),
        ("krakow", "Europe/Warsaw"),
        ("Kraków", "Europe/Warsaw"),
        ("tel aviv", "Asia/Jerusalem"),
        ("montreal", "America/Toronto"),
        ("canberra", "Australia/Sydney"),
        ("ho chi minh city", "Asia/Ho_Chi_Minh"),
        ("austin", "America/Chicago"),
        # Abbreviations, only when typed in full.
        ("PST", "America/Los_Angeles"),
        ("ist", "Asia/Kolkata"),
        ("EST", "America/New_York"),
    ],
)
def test_first_suggestion(query: str, first: str) -> None:
    assert search_zones(query)[0] == first


def test_prefix_matches_come_before_substring_matches() -> None:
    found = search_zones("lon")
    assert found[0] == "Europe/London"
    # Longyearbyen starts with "lon"; Madrid only contains it (in "barcelona"), though popular.
    assert found.index("Arctic/Longyearbyen") < found.index("Europe/Madrid")


def test_popular_zones_lead_among_equal_matches() -> None:
    found = search_zones("america/")
    assert found[:2] == ["America/Los_Angeles", "America/New_York"]
    assert all(z.startswith("America/") for z in found)


def test_legacy_names_are_not_suggested() -> None:
    assert "US/Eastern" not in search_zones("eastern")
    assert "Asia/Calcutta" not in search_zones("calcutta")
    assert search_zones("calcutta") == ["Asia/Kolkata"]
    assert not any(z.startswith("Etc/") for z in search_zones("gmt"))
    assert "EST" not in search_zones("es", 100)
    assert "Pacific/Samoa" not in search_zones("samoa")
    assert search_zones("samoa") == ["Pacific/Apia", "Pacific/Pago_Pago"]


def test_legacy_names_typed_in_full_are_offered_after_their_successor() -> None:
    assert search_zones("US/Eastern") == ["America/New_York", "US/Eastern"]
    assert search_zones("Asia/Calcutta") == ["Asia/Kolkata", "Asia/Calcutta"]
    assert search_zones("Etc/GMT+5") == ["Etc/GMT+5"]
    assert search_zones("EST")[:2] == ["America/New_York", "EST"]
    assert search_zones("Japan")[:2] == ["Asia/Tokyo", "Japan"]


def test_empty_query_offers_the_recent_zone_then_popular_ones() -> None:
    assert search_zones("") == [z for z in POPULAR if is_valid_zone(z)]
    assert search_zones("   ", 3, recent="Asia/Tokyo") == [
        "Asia/Tokyo",
        "America/Los_Angeles",
        "America/New_York",
    ]
    assert search_zones("", 3, recent="Europe/London") == [
        "Europe/London",
        "America/Los_Angeles",
        "America/New_York",
    ]


def test_recent_zone_first_only_when_it_matches() -> None:
    assert search_zones("tok", recent="Asia/Tokyo")[0] == "Asia/Tokyo"
    assert search_zones("europe", recent="Europe/Vienna")[0] == "Europe/Vienna"
    assert "Asia/Tokyo" not in search_zones("lon", recent="Asia/Tokyo")
    # The recent zone can be a legacy name the member once typed in full.
    assert search_zones("east", recent="US/Eastern")[0] == "US/Eastern"


def test_an_unknown_recent_zone_is_ignored() -> None:
    assert search_zones("", 2, recent="Mars/Olympus_Mons") == list(POPULAR[:2])
    assert search_zones("london", recent="localtime") == ["Europe/London"]


@pytest.mark.parametrize("limit", [1, 5, 25])
def test_limit(limit: int) -> None:
    assert len(search_zones("a", limit)) == limit
    assert len(search_zones("", limit)) == limit


def test_no_results_for_nonpositive_limit() -> None:
    assert search_zones("london", 0) == []
    assert search_zones("london", -3) == []


@pytest.mark.parametrize("query", ["!!!", "qqqq", "x" * 500, "\x00", "🙂", "Mars/Olympus"])
def test_queries_without_matches(query: str) -> None:
    assert search_zones(query) == []


@settings(max_examples=300, deadline=None)
@given(query=st.text(max_size=40), limit=st.integers(-2, 30))
def test_any_query_gives_unique_valid_zones(query: str, limit: int) -> None:
    found = search_zones(query, limit, recent="Europe/London")
    assert len(found) <= max(limit, 0)
    assert len(set(found)) == len(found)
    assert all(is_valid_zone(z) for z in found)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Europe/London", True),
        ("America/Argentina/Buenos_Aires", True),
        ("UTC", True),
        ("US/Eastern", True),
        ("europe/london", False),
        ("Mars/Olympus_Mons", False),
        ("localtime", False),
        ("Factory", False),
        ("../../etc/passwd", False),
        ("", False),
    ],
)
def test_is_valid_zone(name: str, valid: bool) -> None:
    assert is_valid_zone(name) is valid


def test_load_zone_explains_a_bad_name() -> None:
    assert str(load_zone("Asia/Kolkata")) == "Asia/Kolkata"
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a time zone I know"):
        load_zone("Mars/Olympus")


def test_hand_written_tables_name_real_zones() -> None:
    offered = set(selectable_zones())
    assert len(places()) >= 60
    assert set(places().values()) <= offered
    assert set(POPULAR) <= offered
    assert set(ABBREVIATIONS.values()) <= offered
    assert set(RENAMED.values()) <= offered
    assert not set(RENAMED) & offered
    assert all(is_valid_zone(z) for z in RENAMED)


def test_selectable_zones_leave_out_aliases_and_abbreviations() -> None:
    offered = selectable_zones()
    assert "Europe/London" in offered
    assert "America/Indiana/Indianapolis" in offered
    assert "UTC" in offered
    for hidden in ("US/Eastern", "Etc/GMT+5", "EST", "CET", "GB", "Europe/Kiev", "localtime"):
        assert hidden not in offered
    assert all("/" in z for z in offered if z != "UTC")
