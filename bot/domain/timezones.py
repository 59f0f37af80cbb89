"""Find IANA time zones by zone name or city for the schedule's autocomplete."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

MAX_QUERY = 100  # Discord never sends a longer autocomplete value

# Names zoneinfo lists that are not places: a machine's own link, and tzdata's "-00" zone.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
# Legacy families: fixed offsets with inverted signs (Etc/GMT+5 is UTC-5) and country aliases.
_HIDDEN_PREFIXES = ("Etc/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/", "SystemV/")

# Old spellings kept by tzdata for compatibility, grouped under the zone that replaced them.
# They stay valid when typed in full, but suggesting two spellings of one city only confuses.
# Beware Pacific/Samoa: it is American Samoa; Samoa itself keeps time as Pacific/Apia.
_RENAMED_TEXT = """
Africa/Asmara: Africa/Asmera
Africa/Bamako: Africa/Timbuktu
America/Adak: America/Atka
America/Anchorage: US/Alaska
America/Argentina/Buenos_Aires: America/Buenos_Aires
America/Argentina/Catamarca: America/Argentina/ComodRivadavia, America/Catamarca
America/Argentina/Cordoba: America/Cordoba, America/Rosario
America/Argentina/Jujuy: America/Jujuy
America/Argentina/Mendoza: America/Mendoza
America/Atikokan: America/Coral_Harbour
America/Chicago: US/Central
America/Denver: America/Shiprock, US/Mountain
America/Indiana/Indianapolis: America/Fort_Wayne, America/Indianapolis
America/Indiana/Knox: America/Knox_IN
America/Kentucky/Louisville: America/Louisville
America/Los_Angeles: US/Pacific
America/New_York: US/Eastern
America/Nuuk: America/Godthab
America/Phoenix: US/Arizona
America/Rio_Branco: America/Porto_Acre
America/St_Thomas: America/Virgin
America/Tijuana: America/Ensenada, America/Santa_Isabel
America/Toronto: America/Montreal
Antarctica/McMurdo: Antarctica/South_Pole
Asia/Ashgabat: Asia/Ashkhabad
Asia/Dhaka: Asia/Dacca
Asia/Ho_Chi_Minh: Asia/Saigon
Asia/Jerusalem: Asia/Tel_Aviv
Asia/Kathmandu: Asia/Katmandu
Asia/Kolkata: Asia/Calcutta
Asia/Macau: Asia/Macao
Asia/Makassar: Asia/Ujung_Pandang
Asia/Shanghai: Asia/Chongqing, Asia/Chungking, Asia/Harbin
Asia/Thimphu: Asia/Thimbu
Asia/Ulaanbaatar: Asia/Ulan_Bator
Asia/Urumqi: Asia/Kashgar
Asia/Yangon: Asia/Rangoon
Atlantic/Faroe: Atlantic/Faeroe
Australia/Adelaide: Australia/South
Australia/Brisbane: Australia/Queensland
Australia/Broken_Hill: Australia/Yancowinna
Australia/Darwin: Australia/North
Australia/Hobart: Australia/Currie, Australia/Tasmania
Australia/Lord_Howe: Australia/LHI
Australia/Melbourne: Australia/Victoria
Australia/Perth: Australia/West
Australia/Sydney: Australia/ACT, Australia/Canberra, Australia/NSW
Europe/Chisinau: Europe/Tiraspol
Europe/Istanbul: Asia/Istanbul
Europe/Kyiv: Europe/Kiev
Europe/London: Europe/Belfast
Europe/Oslo: Atlantic/Jan_Mayen
Pacific/Chuuk: Pacific/Truk, Pacific/Yap
Pacific/Honolulu: Pacific/Johnston, US/Hawaii
Pacific/Kanton: Pacific/Enderbury
Pacific/Pago_Pago: Pacific/Samoa
Pacific/Pohnpei: Pacific/Ponape
"""

# Places people type that are not zone names, grouped by the zone that keeps their time.
_PLACES_TEXT = """
America/Los_Angeles: san francisco, bay area, silicon valley, palo alto, mountain view,
    san jose, oakland, seattle, redmond, bellevue, portland, san diego, sacramento, las vegas
America/Denver: salt lake city, boulder, colorado springs, albuquerque
America/Phoenix: scottsdale, tempe, tucson
America/Chicago: austin, dallas, houston, san antonio, minneapolis, st louis, kansas city,
    nashville, new orleans, madison
America/New_York: new york city, nyc, brooklyn, boston, washington, washington dc, atlanta,
    miami, philadelphia, pittsburgh, raleigh, durham, charlotte, baltimore, orlando, columbus
America/Detroit: ann arbor
America/Toronto: ottawa, montreal, waterloo, kitchener, quebec city
America/Edmonton: calgary
America/Mexico_City: guadalajara
America/Sao_Paulo: rio de janeiro, belo horizonte, curitiba, porto alegre, florianopolis,
    brasilia
America/Bogota: medellin
Europe/London: manchester, edinburgh, glasgow, birmingham, bristol, leeds, cambridge, oxford,
    belfast, cardiff, united kingdom, england, scotland, wales
Europe/Dublin: cork, galway, ireland
Europe/Berlin: munich, münchen, frankfurt, hamburg, cologne, stuttgart, dusseldorf, germany
Europe/Paris: lyon, toulouse, france
Europe/Madrid: barcelona, valencia, seville, malaga, spain
Europe/Rome: milan, turin, florence, naples, italy
Europe/Zurich: geneva, basel, lausanne, switzerland
Europe/Amsterdam: rotterdam, utrecht, eindhoven, the hague, netherlands
Europe/Brussels: antwerp, ghent, belgium
Europe/Warsaw: krakow, wroclaw, gdansk, poland
Europe/Prague: brno, czechia
Europe/Stockholm: gothenburg, malmo, sweden
Europe/Copenhagen: aarhus, denmark
Europe/Helsinki: espoo, tampere, finland
Europe/Lisbon: porto, portugal
Europe/Bucharest: cluj, cluj napoca, iasi, romania
Europe/Kyiv: kiev, kharkiv, lviv, odesa, odessa, dnipro, ukraine
Europe/Istanbul: ankara, izmir, turkey
Europe/Moscow: saint petersburg, st petersburg
Asia/Jerusalem: tel aviv, haifa, israel
Asia/Dubai: abu dhabi, uae
Asia/Riyadh: jeddah, saudi arabia
Asia/Kolkata: bangalore, bengaluru, mumbai, bombay, delhi, new delhi, gurgaon, gurugram, noida,
    hyderabad, chennai, madras, pune, calcutta, ahmedabad, india
Asia/Karachi: lahore, islamabad, pakistan
Asia/Dhaka: dacca, bangladesh
Asia/Kathmandu: katmandu, nepal
Asia/Yangon: rangoon
Asia/Shanghai: beijing, shenzhen, hangzhou, guangzhou, chengdu, chongqing, china
Asia/Taipei: hsinchu, taiwan
Asia/Seoul: busan, pangyo, south korea, korea
Asia/Tokyo: osaka, kyoto, yokohama, japan
Asia/Manila: cebu, philippines
Asia/Bangkok: thailand
Asia/Ho_Chi_Minh: ho chi minh city, saigon, hanoi, vietnam
Australia/Sydney: canberra
Pacific/Auckland: wellington, christchurch, new zealand
Pacific/Apia: samoa
Pacific/Pago_Pago: american samoa
Africa/Lagos: abuja, nigeria
Africa/Nairobi: kenya
Africa/Johannesburg: cape town, pretoria, durban, south africa
Africa/Cairo: egypt
Africa/Accra: ghana
Africa/Casablanca: rabat, morocco
"""

# Abbreviations match only when typed in full: "est" as a substring would hit "budapest".
_ABBREVIATIONS_TEXT = """
America/Los_Angeles: pst, pdt
America/Denver: mst, mdt
America/Chicago: cst, cdt
America/New_York: est, edt
Europe/London: gmt, bst
Europe/Berlin: cet, cest
Asia/Kolkata: ist
Asia/Tokyo: jst
Asia/Seoul: kst
Asia/Singapore: sgt
Australia/Sydney: aest, aedt
Pacific/Auckland: nzst, nzdt
"""

# Shown for an empty query and ranked first among equal matches: where most members live.
POPULAR = ("America/Los_Angeles", "America/New_York", "Europe/London", "Asia/Kolkata",
           "America/Chicago", "Europe/Berlin", "America/Toronto", "Europe/Paris",
           "Europe/Amsterdam", "Asia/Singapore", "America/Denver", "Europe/Dublin",
           "Europe/Madrid", "Europe/Warsaw", "Europe/Kyiv", "America/Sao_Paulo",
           "Australia/Sydney", "Asia/Tokyo", "Asia/Shanghai", "Asia/Dubai", "Asia/Jerusalem",
           "America/Vancouver", "Europe/Zurich", "Africa/Lagos", "UTC")  # fmt: skip


def _table(text: str) -> dict[str, str]:
    """Read 'Zone: name, name' lines (wrapped lines indented) into {name: zone}."""
    found: dict[str, str] = {}
    for entry in re.split(r"\n(?=\S)", text.strip()):
        zone, _, names = entry.partition(":")
        for name in names.split(","):
            if name.strip():
                found[name.strip()] = zone.strip()
    return found


RENAMED = _table(_RENAMED_TEXT)
ABBREVIATIONS = _table(_ABBREVIATIONS_TEXT)

_WORDS = re.compile(r"[ /]")


def _normalise(text: str) -> str:
    """Fold case and accents and treat _ and - as spaces, so 'São_Paulo' reads 'sao paulo'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[_\-\s]+", " ", text)
    # Keep "+" so that Etc/GMT+5 and Etc/GMT-5 stay different when typed in full.
    text = re.sub(r"[^\w/+ ]", "", text)
    return re.sub(r" ?/ ?", "/", " ".join(text.split()))


@cache
def _valid() -> frozenset[str]:
    # available_timezones() walks the disk on every call; the autocomplete asks per keystroke.
    return frozenset(available_timezones() - _NOT_ZONES)


def is_valid_zone(name: str) -> bool:
    """Say whether `name` is an IANA zone this machine can load."""
    return isinstance(name, str) and name in _valid()


def load_zone(name: str) -> ZoneInfo:
    """Return the zone called `name` or raise a ValueError a member can read."""
    if not is_valid_zone(name):
        shown = str(name)[:60]
        raise ValueError(
            f"'{shown}' is not a time zone I know: pick one from the list, like Europe/London."
        )
    return ZoneInfo(name)


def _hidden(zone: str) -> bool:
    if zone == "UTC":
        return False
    return "/" not in zone or zone.startswith(_HIDDEN_PREFIXES) or zone in RENAMED


@cache
def selectable_zones() -> tuple[str, ...]:
    """Return the zones offered as suggestions: no legacy aliases, no abbreviations."""
    return tuple(sorted(z for z in _valid() if not _hidden(z)))


@cache
def places() -> dict[str, str]:
    """Return the hand-written place names (normalised) and the zone each one uses."""
    return {_normalise(name): zone for name, zone in _table(_PLACES_TEXT).items()}


def _keys(zone: str) -> tuple[str, ...]:
    """The strings a query is matched against: the full name and the city part."""
    full = _normalise(zone)
    return (full, full.rpartition("/")[2])


@cache
def _index() -> tuple[tuple[str, tuple[str, ...]], ...]:
    extra: dict[str, list[str]] = {}
    for name, zone in places().items():
        extra.setdefault(zone, []).append(name)
    return tuple((z, _keys(z) + tuple(extra.get(z, ()))) for z in selectable_zones())


def _tier(query: str, keys: tuple[str, ...]) -> int | None:
    """Rank a match: 0 exact, 1 prefix, 2 a word's prefix, 3 anywhere; None for no match."""
    best: int | None = None
    for key in keys:
        if key == query:
            return 0
        if key.startswith(query):
            tier = 1
        elif any(word.startswith(query) for word in _WORDS.split(key)):
            tier = 2
        elif query in key:
            tier = 3
        else:
            continue
        best = tier if best is None else min(best, tier)
    return best


@cache
def _hidden_names() -> dict[str, str]:
    return {_normalise(z): z for z in _valid() if _hidden(z)}


def _popularity(zone: str) -> int:
    return POPULAR.index(zone) if zone in POPULAR else len(POPULAR)


def search_zones(query: str, limit: int = 25, recent: str | None = None) -> list[str]:
    """Return up to `limit` zones for `query`, the member's `recent` zone first if it fits."""
    if limit <= 0:
        return []
    recent = recent if recent is not None and is_valid_zone(recent) else None
    if not query.strip():
        ordered = [recent] if recent else []
        ordered += [z for z in POPULAR if is_valid_zone(z) and z != recent]
        return ordered[:limit]
    q = _normalise(query[:MAX_QUERY])
    if not q:
        return []
    ranked: dict[str, int] = {}
    for zone, keys in _index():
        tier = _tier(q, keys)
        if tier is not None:
            ranked[zone] = tier
    if q in ABBREVIATIONS and is_valid_zone(ABBREVIATIONS[q]):
        ranked[ABBREVIATIONS[q]] = 0
    # A hidden name typed in full is still offered, after the zone that replaced it.
    typed = _hidden_names().get(q)
    if typed is not None:
        current = RENAMED.get(typed)
        if current is not None and is_valid_zone(current):
            ranked[current] = -1
        ranked[typed] = 0
    if recent is not None and (recent in ranked or _tier(q, _keys(recent)) is not None):
        ranked[recent] = -2
    ordered = sorted(ranked, key=lambda z: (ranked[z], _popularity(z), z))
    return ordered[:limit]
