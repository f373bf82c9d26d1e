"""A deterministic, realistic US number pool.

Exchanges (NPA-NXX) and their cities come from the geographic data that `phonenumbers` ships;
rate centers are the carriers' upper-case abbreviations of those cities; LATA and ZIP are drawn
from each state's real ranges, fixed per rate center. Subscriber lines are derived from a hash,
so the same seed always offers the same numbers.
"""

from __future__ import annotations

import fnmatch
import os
import zlib
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import Criteria
from tnorder.numbers import keypad_digits
from tnorder.testhooks import pool_cache
from tnorder.usgeo import STATES, TOLL_FREE_NPAS, latas, state_code, zip_ranges

LINES_PER_EXCHANGE = 40
CACHE_FORMAT = 3
TOLL_FREE_EXCHANGES = 40


class _Loaded:
    """A pool's exchanges and their index by NPA (from one cache file: shared by the process)."""

    def __init__(self, exchanges: Iterable[Exchange]) -> None:
        self.exchanges = tuple(exchanges)
        self.by_npa = _index(self.exchanges)


def _index(exchanges: Iterable[Exchange]) -> dict[str, tuple[Exchange, ...]]:
    grouped: dict[str, list[Exchange]] = {}
    for ex in exchanges:
        grouped.setdefault(ex.npa, []).append(ex)
    return {npa: tuple(group) for npa, group in grouped.items()}  # shared: never to be changed


# cache files read in this process, by their text: a process that runs many commands (a test run,
# a library user) parses the same exchanges once, whichever home's copy of the file it reads
_read_before: dict[str, _Loaded] = {}


def _read(cache: Path) -> _Loaded:
    text = cache.read_text()
    if text not in _read_before:
        _read_before.clear()  # one pool's worth at most
        _read_before[text] = _Loaded(Exchange._make(line.split("\t")) for line in text.splitlines())
    return _read_before[text]


def _hash(*parts: object) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


def rate_center_of(city: str) -> str:
    """Carriers abbreviate rate centers to 10 upper-case characters (`CHAPEL HIL`)."""
    return city.upper().replace(".", "")[:10].strip()


class Exchange(NamedTuple):
    """One NPA-NXX; a tuple, so the ~30,000 read from the cache file on every sandbox command are
    made at C speed (a frozen dataclass took ~25 µs each)."""

    npa: str
    nxx: str
    city: str
    state: str
    rate_center: str
    lata: str
    zip: str


class Pool:
    def __init__(self, seed: int = 0, cache_dir: Path | None = None) -> None:
        self.seed = seed
        self.cache_dir = cache_dir

    @cached_property
    def exchanges(self) -> list[Exchange]:
        return list(self._loaded.exchanges)  # the caller's own list

    @cached_property
    def _by_npa(self) -> dict[str, tuple[Exchange, ...]]:
        return self._loaded.by_npa

    @cached_property
    def _loaded(self) -> _Loaded:
        # building from phonenumbers' geodata takes ~0.8 s; a cache file makes lookups quick
        import phonenumbers

        cache = self.cache_dir and self.cache_dir / f"exchanges-{CACHE_FORMAT}-{phonenumbers.__version__}.tsv"
        if cache and not cache.exists() and (ready := pool_cache(cache.name)):
            _put(cache, ready.read_text())
        if cache and cache.exists():
            return _read(cache)
        built = self._build()
        if cache:
            _put(cache, "".join("\t".join(e) + "\n" for e in built))
        return _Loaded(built)

    def _build(self) -> list[Exchange]:
        from phonenumbers.geodata import GEOCODE_DATA

        places: list[tuple[str, str, str]] = []
        for prefix, names in GEOCODE_DATA.items():
            if len(prefix) != 7 or prefix[0] != "1":
                continue
            city, _, state = names.get("en", "").rpartition(", ")
            if state in STATES and city:
                places.append((prefix[1:], city.upper(), state))
        places += _npa_only_places(GEOCODE_DATA, places)
        places.sort()
        # cities whose abbreviations collide share one rate center: it gets one city name (the
        # first), so a rate center's city, ZIP and LATA always agree
        city_of: dict[tuple[str, str], str] = {}
        for _, city, state in sorted(places, key=lambda p: (p[2], p[1])):
            city_of.setdefault((state, rate_center_of(city)), city)
        places = [(p, city_of[state, rate_center_of(city)], state) for p, city, state in places]
        zips = self._zips(places)
        return [
            Exchange(
                p[:3], p[3:], city, state, rate_center_of(city),
                self._lata(state, rate_center_of(city)), zips[state, rate_center_of(city)],
            )
            for p, city, state in places
        ]

    @staticmethod
    def _zips(places: list[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
        """Each rate center gets one ZIP from its state's ranges; `zip_owner` inverts this."""
        centers: dict[str, set[str]] = {}
        for _, city, state in places:
            centers.setdefault(state, set()).add(rate_center_of(city))
        out = {}
        for state, names in centers.items():
            zips = state_zips(state)
            for i, name in enumerate(sorted(names)):
                out[state, name] = zips[i % len(zips)]
        return out

    def _lata(self, state: str, rate_center: str) -> str:
        codes = latas(state)
        return str(codes[_hash(state, rate_center) % len(codes)])

    def zip_owner(self, zip5: str) -> tuple[str, str] | None:
        """(state, rate center) serving a ZIP: every ZIP in a state's ranges maps to one."""
        for state in STATES:
            zips = state_zips(state)
            if zip5 in zips:
                names = sorted({e.rate_center for e in self.exchanges if e.state == state})
                if not names:
                    return None
                return state, names[zips.index(zip5) % len(names)]
        return None

    def matching(self, criteria: Criteria) -> Sequence[Exchange]:
        kind = criteria.kind
        if kind == "area_code":
            return self._by_npa.get(criteria.area_code or "", ())
        if kind == "npa_nxx":
            npa_nxx = criteria.npa_nxx or ""
            return [e for e in self._by_npa.get(npa_nxx[:3], ()) if e.nxx == npa_nxx[3:]]
        if kind == "zip":
            owner = self.zip_owner(criteria.zip or "")
            if owner is None:
                return []
            return [e for e in self.exchanges if (e.state, e.rate_center) == owner]
        want = {
            "rate_center": lambda e: e.state == criteria.state and e.rate_center == criteria.rate_center,
            "city": lambda e: e.state == criteria.state and e.city == criteria.city,
            "state": lambda e: e.state == criteria.state,
            "lata": lambda e: e.lata == criteria.lata,
        }[kind]
        return [e for e in self.exchanges if want(e)]

    def candidates(self, criteria: Criteria, zip5: str | None = None) -> Iterator[AvailableNumber]:
        """Numbers that match, in a stable order; never the fictional 555-0100..0199 (films' numbers)."""
        return (n for n in self._candidates(criteria, zip5) if not fictional(n.number))

    def _candidates(self, criteria: Criteria, zip5: str | None = None) -> Iterator[AvailableNumber]:
        """A round over the exchanges, line by line."""
        if criteria.kind == "toll_free":
            yield from self._toll_free(criteria.toll_free or "8**")
            return
        if criteria.kind == "vanity":
            yield from self._vanity(criteria.vanity or "")
            return
        exchanges = self.matching(criteria)
        for k in range(LINES_PER_EXCHANGE):
            for ex in exchanges:
                yield AvailableNumber(
                    f"+1{ex.npa}{ex.nxx}{self._line(ex.npa + ex.nxx, k):04d}",
                    ex.rate_center, ex.city, ex.state, ex.lata, zip5 or ex.zip,
                )

    def _line(self, exchange: str, k: int) -> int:
        # 7919 is coprime with 10000, so the first 10000 values of k give distinct lines
        return (_hash(self.seed, exchange) + k * 7919) % 10000

    def _toll_free(self, pattern: str) -> Iterator[AvailableNumber]:
        npas = [n for n in TOLL_FREE_NPAS if fnmatch.fnmatchcase(n, pattern.replace("*", "?"))]
        for k in range(LINES_PER_EXCHANGE):
            for npa in npas:
                for i in range(TOLL_FREE_EXCHANGES):
                    nxx = 200 + (_hash(self.seed, npa, i) % 800)
                    yield AvailableNumber(f"+1{npa}{nxx}{self._line(f'{npa}{nxx}', k):04d}")

    def _vanity(self, word: str) -> Iterator[AvailableNumber]:
        digits = keypad_digits(word)
        free = 7 - len(digits)
        seen: set[str] = set()
        for k in range(LINES_PER_EXCHANGE if free else 1):
            for npa in TOLL_FREE_NPAS:
                head = f"{2 + _hash(self.seed, npa, word, k) % 8}{_hash(npa, k, word):06d}"
                subscriber = (head[:free] + digits) if free else digits
                if subscriber[0] in "01" or npa + subscriber in seen:
                    continue
                seen.add(npa + subscriber)
                yield AvailableNumber(f"+1{npa}{subscriber}")


def _put(cache: Path, text: str) -> None:
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, cache)


def fictional(e164: str) -> bool:
    """NANPA reserves NXX 555, lines 0100-0199, for fiction: no carrier can sell them."""
    return e164[5:8] == "555" and e164[8:10] == "01"


SYNTHETIC_EXCHANGES = 24
NPA_ALIASES = {"Washington D.C.": ("WASHINGTON", "DC"), "Washington State": (None, "WA")}


def _npa_only_places(geodata: dict, places: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Exchanges for NPAs that the data names only as a whole (`New York, NY`, or an overlay's state).

    An overlay shares its state's rate centers, so its exchanges take cities from that state.
    """
    known = {p[:3] for p, _, _ in places}
    cities: dict[str, list[str]] = {}
    for _, city, state in places:
        cities.setdefault(state, []).append(city)
    out = []
    for prefix, names in geodata.items():
        if len(prefix) != 4 or prefix[0] != "1" or prefix[1:] in known:
            continue
        name = names.get("en", "")
        city, _, state = name.rpartition(", ")
        if name in NPA_ALIASES:
            city, state = NPA_ALIASES[name]
        elif not city:
            city, state = None, state_code(name) or ""
        if state not in STATES or not (city or cities.get(state)):
            continue
        npa = prefix[1:]
        pool = sorted(set(cities.get(state, [])))
        n11 = set(range(211, 1000, 100))
        nxxs = sorted({200 + _hash(npa, i) % 800 for i in range(SYNTHETIC_EXCHANGES)} - n11)
        for i, nxx in enumerate(nxxs):
            out.append((f"{npa}{nxx}", (city or pool[_hash(npa, i, "city") % len(pool)]).upper(), state))
    return out


def state_zips(state: str) -> list[str]:
    return [f"{z3:03d}{i:02d}" for lo, hi in zip_ranges(state) for z3 in range(lo, hi + 1)
            for i in range(1, 100, 3)]
