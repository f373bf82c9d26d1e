"""US states with plausible ZIP prefixes and LATA codes (for validation and the simulated world)."""

from __future__ import annotations

# code: (name, ZIP3 ranges (inclusive), LATA codes)
STATES: dict[str, tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]]] = {
    "AL": ("Alabama", ((350, 369),), (474, 476, 477, 478, 480)),
    "AK": ("Alaska", ((995, 999),), (832,)),
    "AZ": ("Arizona", ((850, 865),), (666, 668)),
    "AR": ("Arkansas", ((716, 729),), (526, 528, 530)),
    "CA": ("California", ((900, 961),), (722, 724, 726, 728, 730, 732, 734, 736, 738, 740)),
    "CO": ("Colorado", ((800, 816),), (656, 658)),
    "CT": ("Connecticut", ((60, 69),), (920,)),
    "DE": ("Delaware", ((197, 199),), (238,)),
    "DC": ("District of Columbia", ((200, 205),), (236,)),
    "FL": ("Florida", ((320, 349),), (448, 450, 452, 454, 456, 458, 460)),
    "GA": ("Georgia", ((300, 319), (398, 399)), (438, 440, 442, 444, 446)),
    "HI": ("Hawaii", ((967, 968),), (834,)),
    "ID": ("Idaho", ((832, 838),), (652,)),
    "IL": ("Illinois", ((600, 629),), (350, 352, 354, 356, 358, 360, 362)),
    "IN": ("Indiana", ((460, 479),), (330, 332, 334, 336, 338)),
    "IA": ("Iowa", ((500, 528),), (630, 632, 634, 635)),
    "KS": ("Kansas", ((660, 679),), (532, 534)),
    "KY": ("Kentucky", ((400, 427),), (462, 464, 466)),
    "LA": ("Louisiana", ((700, 714),), (486, 488, 490, 492)),
    "ME": ("Maine", ((39, 49),), (120,)),
    "MD": ("Maryland", ((206, 219),), (240, 242)),
    "MA": ("Massachusetts", ((10, 27),), (126, 128)),
    "MI": ("Michigan", ((480, 499),), (340, 342, 344, 346, 348)),
    "MN": ("Minnesota", ((550, 567),), (620, 624, 626, 628)),
    "MS": ("Mississippi", ((386, 397),), (482, 484)),
    "MO": ("Missouri", ((630, 658),), (520, 521, 522, 524)),
    "MT": ("Montana", ((590, 599),), (648, 650)),
    "NE": ("Nebraska", ((680, 693),), (644, 646)),
    "NV": ("Nevada", ((889, 898),), (720, 721)),
    "NH": ("New Hampshire", ((30, 38),), (122,)),
    "NJ": ("New Jersey", ((70, 89),), (220, 222, 224)),
    "NM": ("New Mexico", ((870, 884),), (664,)),
    "NY": ("New York", ((100, 149),), (132, 133, 134, 136, 138, 140)),
    "NC": ("North Carolina", ((270, 289),), (420, 422, 424, 426)),
    "ND": ("North Dakota", ((580, 588),), (636,)),
    "OH": ("Ohio", ((430, 459),), (320, 322, 324, 325, 326, 328)),
    "OK": ("Oklahoma", ((730, 749),), (536, 538)),
    "OR": ("Oregon", ((970, 979),), (670,)),
    "PA": ("Pennsylvania", ((150, 196),), (226, 228, 230, 232, 234)),
    "RI": ("Rhode Island", ((28, 29),), (130,)),
    "SC": ("South Carolina", ((290, 299),), (428, 430, 432, 434, 436)),
    "SD": ("South Dakota", ((570, 577),), (640,)),
    "TN": ("Tennessee", ((370, 385),), (468, 470, 472)),
    "TX": ("Texas", ((750, 799), (885, 885)), (540, 542, 544, 546, 548, 550, 552, 554, 556, 558)),
    "UT": ("Utah", ((840, 847),), (660,)),
    "VT": ("Vermont", ((50, 59),), (124,)),
    "VA": ("Virginia", ((220, 246),), (244, 246, 248, 250, 252)),
    "WA": ("Washington", ((980, 994),), (672, 674, 676)),
    "WV": ("West Virginia", ((247, 268),), (254, 256)),
    "WI": ("Wisconsin", ((530, 549),), (364, 366, 368, 370, 374, 376)),
    "WY": ("Wyoming", ((820, 831),), (654,)),
    "PR": ("Puerto Rico", ((6, 9),), (820,)),
    "VI": ("U.S. Virgin Islands", ((8, 8),), (822,)),
    "GU": ("Guam", ((969, 969),), (871,)),
}

TOLL_FREE_NPAS = ("800", "833", "844", "855", "866", "877", "888")


def state_code(text: str) -> str | None:
    """`nc`, `NC` or `North Carolina` -> `NC`; None when it names no US state."""
    value = text.strip()
    if value.upper() in STATES:
        return value.upper()
    for code, (name, _, _) in STATES.items():
        if name.lower() == value.lower():
            return code
    return None


def zip_ranges(state: str) -> tuple[tuple[int, int], ...]:
    return STATES[state][1]


def latas(state: str) -> tuple[int, ...]:
    return STATES[state][2]


# how phonenumbers' geodata names a few US NPAs as a whole (not "City, ST" nor a state's name)
NPA_NAME_ALIASES = {"Washington D.C.": "DC", "Washington State": "WA"}


def npa_state(npa: str) -> str | None:
    """The US state (or territory) an area code serves, from phonenumbers' geodata; None when unknown
    or outside the US (Canada, the Caribbean). Carriers that search by state need it (Broadvox)."""
    from phonenumbers.geodata import GEOCODE_DATA

    whole = GEOCODE_DATA.get(f"1{npa}", {}).get("en")
    if whole:
        return _state_of_place(whole)
    # some NPAs are described only exchange by exchange: take the state most of them name
    votes: dict[str, int] = {}
    for nxx in range(200, 1000):
        place = GEOCODE_DATA.get(f"1{npa}{nxx}", {}).get("en")
        state = _state_of_place(place) if place else None
        if state:
            votes[state] = votes.get(state, 0) + 1
    return max(votes, key=votes.__getitem__) if votes else None


def _state_of_place(name: str) -> str | None:
    if name in NPA_NAME_ALIASES:
        return NPA_NAME_ALIASES[name]
    _, comma, tail = name.rpartition(", ")
    if comma and tail in STATES:
        return tail
    return state_code(name)
