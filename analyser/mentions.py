"""The employer, the role applied for and the person who signed, found in a piece of feedback, or not at all.

A wrong name in a follow-up is worse than a placeholder, so every rule here prefers None: team and department
names, applicant-tracking systems, gig platforms and recruitment agencies are never the employer; a role offered as
an alternative is not the role applied for; when the text names two different employers, neither is used.
Word lists live in data/mentions.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .config import DATA_DIR

MENTIONS_PATH = DATA_DIR / "mentions.toml"
LIST_KEYS = (
    "team_words",
    "ats",
    "platforms",
    "client_cues",
    "alternative_cues",
    "titles",
    "sign_offs",
    "not_names",
    "company_suffixes",
    "agency_words",
)
SCAN_CHARS = 4000
UNIT_WORDS = frozenset({"department", "office", "faculty", "school", "division", "directorate", "unit", "ward"})
ROLE_WORDS_KEPT = frozenset({"team", "job", "application", "role", "position", "ref"})

# One capitalised word ("Harrow", "St", "O'Neill", "B2B", "II"), and a name: such words joined by single spaces or
# a connector, never across a line break.
_CAP = r"(?:[A-Z][\w'’&+-]*|[A-Z]\.(?=\s[A-Z]))"
_JOIN = r"(?:[ ](?:of|and|&|for|de|la|du|von|van|the|in)(?=[ ][A-Z]))?[ ]"
_NAME = rf"{_CAP}(?:{_JOIN}{_CAP})*"
_ROLE_NOUNS = ("role", "position", "post", "vacancy", "job", "opening", "opportunity", "contract", "gig", "assignment")
_PROGRAMMES = (
    *("programme", "program", "scheme", "internship"),
    *("apprenticeship", "placement", "fellowship", "traineeship"),
)
_ROLE_NOUN = rf"(?i:{'|'.join(_ROLE_NOUNS)})"
_PROGRAMME = rf"(?i:{'|'.join(_PROGRAMMES)})"


class MentionsError(ValueError):
    """data/mentions.toml is not valid; the message says what is wrong."""


@dataclass(frozen=True)
class Mentions:
    company: str | None
    role: str | None
    contact: str | None
    # why a value was left out although the text seemed to name one ("two employers named: A, B")
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Lists:
    team_words: frozenset[str]
    ats: frozenset[str]
    platforms: frozenset[str]
    client_cues: tuple[str, ...]
    alternative_cues: tuple[str, ...]
    titles: frozenset[str]
    sign_offs: frozenset[str]
    not_names: frozenset[str]
    company_suffixes: frozenset[str]
    agency_words: frozenset[str]


@lru_cache(maxsize=2)
def load_lists(path: Path = MENTIONS_PATH) -> _Lists:
    """The word lists, checked: every key present, each a list of strings, nothing unknown."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    problems = [f"unknown key '{k}'" for k in sorted(raw.keys() - set(LIST_KEYS) - {"version"})]
    for key in LIST_KEYS:
        value = raw.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(f"'{key}' must be a non-empty list of strings")
    if problems:
        raise MentionsError(f"{path}: " + "; ".join(problems))
    low = {k: frozenset(v.lower() for v in raw[k]) for k in LIST_KEYS}
    return _Lists(
        team_words=low["team_words"],
        ats=low["ats"],
        platforms=low["platforms"],
        client_cues=tuple(sorted(low["client_cues"])),
        alternative_cues=tuple(sorted(low["alternative_cues"])),
        titles=low["titles"],
        sign_offs=low["sign_offs"],
        not_names=low["not_names"],
        company_suffixes=low["company_suffixes"],
        agency_words=low["agency_words"],
    )


# ---------------------------------------------------------------------------------------------------- patterns
# Each pattern: (compiled regex with group "name", weight). Higher weights are surer; body patterns beat signatures.
_COMPANY_BODY = [
    (rf"\b{_ROLE_NOUN}s? (?:here )?(?:at|with) (?P<name>{_NAME})", 3),
    (rf"\b{_ROLE_NOUN}s? (?:of|as) (?:an? )?{_NAME} (?:here )?(?:at|with) (?P<name>{_NAME})", 3),
    (rf"\b(?:the|our|your|this|an?) {_NAME} {_ROLE_NOUN} (?:here )?(?:at|with) (?P<name>{_NAME})", 3),
    (rf"\b{_PROGRAMME}s? (?:at|with) (?P<name>{_NAME})", 3),
    (rf"\b(?i:our client|my client|the client),? (?P<name>{_NAME})(?=,| has| have| is| are| decided)", 4),
    (rf"\b(?i:hiring manager|hiring team|team|panel) at (?P<name>{_NAME})", 3),
    (rf"\b(?i:feedback from) (?P<name>{_NAME}) (?:on|about|for|regarding)\b", 3),
    (rf"\b(?i:interest in|interested in) (?:joining |working (?:at|for|with) (?:us at )?)?(?P<name>{_NAME})", 2),
    (rf"\b(?i:application|applying|applied|apply) (?:to|with|at) (?P<name>{_NAME})(?= for\b|[,.;!]|$)", 2),
    (rf"\b(?:a role|a position|a job|roles|positions) (?:at|with) (?P<name>{_NAME})", 2),
    (rf"\b(?i:here at|everyone at|all of us at|us at|careers (?:page )?at|careers with|joining) (?P<name>{_NAME})", 2),
    (rf"(?:^|[.!?]\s)(?P<name>{_NAME}) (?:reviewed|has reviewed|has decided|have decided|decided|has chosen)\b", 2),
    (rf"^Subject:.*?\b(?:application|interview) (?:to|with|at) (?P<name>{_NAME})", 2),
]
_COMPANY_SIGNATURE = [
    (
        rf"^(?:The )?(?P<name>{_NAME}) (?:Early Careers |Graduate |Campus )?(?:Talent Acquisition|Talent|Recruiting|Recruitment|Human Resources|HR|People|Careers|Hiring|Resourcing)(?: Team)?\s*$",
        2,
    ),
    (rf"^The (?P<name>{_NAME}) Team\s*$", 2),
    (rf"^(?P<name>{_NAME}) Careers\s*$", 2),
    (rf"^(?P<name>{_NAME})\s*\|\s*(?:People|Talent|HR|Recruiting|Recruitment|Careers|Human)[\w ]*$", 2),
    (
        rf"^(?:Talent Acquisition|Talent|Recruiting|Recruitment|HR|People|Careers|Human Resources)[\w ]*\s*\|\s*(?P<name>{_NAME})\s*$",
        2,
    ),
    # "Area Manager, Fresco Markets": a job title, then an employer of two words or more (not "Chair, Search
    # Committee", "Shoreditch, London" or "Unsubscribe | Privacy")
    (
        rf"^(?i:(?:[A-Z][\w ]*?[ ])?(?:manager|director|lead|head|officer|partner|consultant|coordinator|advis[eo]r|specialist|"
        rf"chief|founder|owner|ceo|cto|coo|president|recruiter|principal|administrator|supervisor|executive)s?)"
        rf"(?:,|[ ]\|)[ ](?P<name>{_CAP}(?:{_JOIN}{_CAP})+)[ ]*$",
        1,
    ),
    (rf"^(?P<name>{_NAME} (?:Ltd|Limited|LLP|plc|PLC|Inc|LLC|GmbH)\.?)\s*$", 1),
]
_ROLE = [
    (rf"\b{_ROLE_NOUN}s? (?:of|as) (?:an? )?(?P<name>{_NAME})", 3),
    (rf"\b(?:the|our|your|this|for|an?) (?P<name>{_NAME}) {_ROLE_NOUN}\b", 3),
    (rf"\b(?:the|our|your|this|an?) (?P<name>{_NAME} {_PROGRAMME})\b", 3),
    (
        rf"\b(?:application|applying|applied|apply|interviewing|interview|candidacy|proposal)s? (?:for|to be) (?:the |our |an? )?(?P<name>{_NAME})(?=\s\((?:Job|Req|Ref|Band)|\s(?:at|with|in|position|role|post|vacancy)\b|[,.;]|$)",
        2,
    ),
    (r"\b(?:Requisition|Req\.?|Job ID|Ref\.?)[ #:]*[\w-]*\d+\s*[-–:]\s*(?P<name>" + _NAME + ")", 2),
    (
        rf"^Subject:\s*(?:Re:\s*)?(?:Your |Update on your )?application (?:for|-|–|:)\s*(?:the )?(?P<name>{_NAME})\s*$",
        2,
    ),
    (rf"^Re:\s*(?P<name>{_NAME})\s*$", 2),
]


class _Scan(NamedTuple):
    """Where a pattern's matches can be: find_mentions' time is mostly regex scans that try every position."""

    leads: tuple[str, ...] = ()  # every match starts where one of these starts
    lower: bool = False  # the leads are a case-insensitive opening, lower-cased: looked for in the folded text
    needs: tuple[str, ...] = ()  # every match holds one of these


# Each character to the ASCII letter it matches in a case-insensitive pattern (re matches "K" with the Kelvin sign,
# "i" with dotless and dotted I, "s" with the long s; a test checks every code point): a folded text has the same
# length and offsets, and a case-insensitive lower-case word can only match where the folded text has it.
_FOLD = {ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"} | {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_ARTICLES = ("the ", "our ", "your ", "this ", "a ", "an ")
# by index in the lists above; a pattern not named here is scanned as it is
_BODY_SCANS = {
    0: _Scan(_ROLE_NOUNS, lower=True),
    1: _Scan(_ROLE_NOUNS, lower=True),
    2: _Scan(_ARTICLES),
    3: _Scan(_PROGRAMMES, lower=True),
    4: _Scan(("our client", "my client", "the client"), lower=True),
    5: _Scan(("hiring", "team", "panel"), lower=True),
    6: _Scan(("feedback from",), lower=True),
    7: _Scan(("interest",), lower=True),
    8: _Scan(("appl",), lower=True),
    9: _Scan(("a role", "a position", "a job", "roles", "positions")),
    10: _Scan(("here at", "everyone at", "all of us at", "us at", "careers", "joining"), lower=True),
    11: _Scan(needs=("reviewed", "decided", "has chosen")),
    12: _Scan(needs=("Subject:",)),
}
_ROLE_SCANS = {
    0: _Scan(_ROLE_NOUNS, lower=True),
    1: _Scan((*_ARTICLES, "for ")),
    2: _Scan(_ARTICLES),
    3: _Scan(("appl", "interview", "candidacy", "proposal")),
    4: _Scan(("Req", "Job ID", "Ref")),
    5: _Scan(needs=("Subject:",)),
    6: _Scan(needs=("Re:",)),
}
_FLAGS = re.M
_COMPANY_BODY = [(re.compile(p, _FLAGS), w, _BODY_SCANS.get(i, _Scan())) for i, (p, w) in enumerate(_COMPANY_BODY)]
_COMPANY_SIGNATURE = [(re.compile(p, _FLAGS), w) for p, w in _COMPANY_SIGNATURE]
_ROLE = [(re.compile(p, _FLAGS), w, _ROLE_SCANS.get(i, _Scan())) for i, (p, w) in enumerate(_ROLE)]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_NAME_LINE = re.compile(
    r"^[-–—]?\s*(?:(?P<title>[A-Z][a-z]+\.?)\s)?(?P<first>[A-Z][a-z'’-]+|[A-Z]\.)(?:\s(?P<rest>[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+){0,2}))?"
    r"\s*(?:$|\s*[|,]\s*.*$|\s+from\s+(?P<from>.+)$)"
)


def fold(text: str) -> str:
    """`text` with each character that a case-insensitive pattern matches with an ASCII letter made that letter."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


def _matches(pattern: re.Pattern, scan: _Scan, text: str, folded: str, starts_of: dict | None = None):
    """pattern.finditer(text), the same matches, trying only the positions `scan` allows (left to right, each after
    the end of the match before it); `folded` is fold(text). `starts_of` keeps each scan's positions for the other
    patterns that share it (for this text only)."""
    if scan.needs and not any(map(text.__contains__, scan.needs)):
        return
    if not scan.leads:
        yield from pattern.finditer(text)
        return
    starts_of = {} if starts_of is None else starts_of
    starts = starts_of.get(scan)
    if starts is None:
        starts_of[scan] = starts = _starts(folded if scan.lower else text, scan.leads)
    end = 0
    for start in starts:
        if start >= end and (m := pattern.match(text, start)):
            end = m.end()
            yield m


def _occurrences(text: str, words) -> Iterator[tuple[int, int]]:
    """(start, end) of every occurrence of each of `words` in `text`, word after word."""
    for word in words:
        i = text.find(word)
        while i >= 0:
            yield i, i + len(word)
            i = text.find(word, i + 1)


def _starts(text: str, words: tuple[str, ...]) -> list[int]:
    """Every position where one of `words` starts, in order."""
    return sorted({i for i, _ in _occurrences(text, words)})


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"\s+", name.strip()) if w]


def _is_team(name: str, lists: _Lists) -> bool:
    words = [w.lower().strip(".,") for w in _words(name)]
    return all(w in lists.team_words or w in {"the", "&", "and", "of", "for"} for w in words)


def _clean_company(name: str, lists: _Lists) -> str | None:
    words = _words(name.strip(" -–,.;:"))
    if words and words[-1].lower() in {"committee", "panel", "board", "committees"}:
        return None  # "The Appointing Committee has decided": a group of people, not the employer
    while words and (words[0].lower() in lists.not_names or words[0].lower() == "the"):
        words = words[1:]
    while words and (
        words[-1].lower() in lists.company_suffixes or words[-1].lower() in {"of", "and", "&", "for", "the"}
    ):
        words = words[:-1]
    # "Hexam Analytics Early Careers": a team name after the employer's is not part of it
    while len(words) > 1 and words[-1].lower() in lists.team_words:
        words = words[:-1]
    if not words or len(words) > 6:
        return None
    saint = words and words[0].rstrip(".") in {"St", "Saint"}  # "St Bede's Primary School" is one name
    if len(words) > 1 and not saint and any(w.endswith(("'s", "’s")) for w in words[:-1]):
        # "Crestline Automotive's Fort Wayne plant": the employer is what owns the rest
        cut = next(i for i, w in enumerate(words) if w.endswith(("'s", "’s")))
        words = words[: cut + 1]
        words[-1] = words[-1][:-2]
    name = " ".join(words)
    low = name.lower()
    if _is_team(name, lists) or low in lists.ats or low in lists.platforms or low in lists.not_names:
        return None
    if any(w.lower() in lists.platforms or w.lower() in lists.ats for w in words):
        return None
    if words[0].lower() in UNIT_WORDS:
        return None  # "Department of Philosophy", "Office of Faculty Affairs": a part of the employer, not its name
    return name


def _clean_role(name: str, lists: _Lists) -> str | None:
    name = re.sub(r"\s*\([^)]*\)?\s*$", "", name.strip(" -–,.;:"))
    words = _words(name)
    # "Team Leader", "Job Coach": only words that open sentences are dropped from a role, not role words
    while words and words[0].lower() in lists.not_names and words[0].lower() not in ROLE_WORDS_KEPT:
        words = words[1:]
    if not words or len(words) > 8:
        return None
    name = " ".join(words)
    if _is_team(name, lists) and not re.search(_PROGRAMME, name, re.I):
        return None
    if re.search(rf"\bteams?\b {_PROGRAMME}", name, re.I):
        return None  # "People Team internship": which one is not said
    if name.lower() in lists.ats or name.lower() in lists.platforms:
        return None
    return name


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of rough sentences: enough to tell which sentence offers another vacancy."""
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    return bounds


def _alternative_spans(text: str, low: str, lists: _Lists) -> list[tuple[int, int]]:
    """The rough sentences that hold an alternative cue (`cue in low[a:b]`, from where each cue occurs in `low`,
    the lower-cased text)."""
    found = list(_occurrences(low, lists.alternative_cues))
    if not found:
        return []
    return [(a, b) for a, b in _sentences(text) if any(a <= i and j <= b for i, j in found)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _sign_off_index(lines: list[str], lists: _Lists) -> int | None:
    """Index of the last line that closes the message ("Kind regards,"), if any."""
    found = None
    for i, line in enumerate(lines):
        bare = line.strip().rstrip(",!.").strip().lower()
        if bare in lists.sign_offs:
            found = i
    return found


def _signer(lines: list[str], i: int | None) -> str | None:
    """The signer's line as written ("J. Whitfield", "Priya Shah"), to keep it from being taken for an employer;
    `i` is the sign-off line's index (_sign_off_index)."""
    rest = [ln.strip() for ln in lines[i + 1 :] if ln.strip()][:1] if i is not None else []
    return re.split(r"\s*[|,]\s*|\s+from\s+", rest[0])[0] if rest else None


def _contact(lines: list[str], lists: _Lists, i: int | None) -> str | None:
    candidates = []
    if i is not None:
        candidates = [ln for ln in lines[i + 1 :] if ln.strip()][:1]
        same_line = re.match(r"^\s*(?:thanks|cheers|best|regards)[,!]?\s+(?P<n>[A-Z][a-z]+)\s*$", lines[i])
        if same_line:
            candidates = [same_line.group("n")]
    else:
        dash = [ln for ln in lines[-3:] if re.match(r"^\s*[-–—]\s*[A-Z][a-z]+\s*$", ln)]
        candidates = dash[-1:]
    for line in candidates:
        m = _NAME_LINE.match(line.strip())
        if not m:
            return None
        first, title, rest, via = m.group("first"), m.group("title"), m.group("rest"), m.group("from")
        if via and via.strip().lower().strip(".") in lists.platforms | lists.ats:
            return None  # "Emma from Toptal" writes for the platform, not the client
        if title and title.rstrip(".").lower() not in lists.titles:
            # "Talent Partner" or "Recruitment Services": not a title and a name
            first, rest = title, f"{first} {rest or ''}".strip()
        if title and title.rstrip(".").lower() in lists.titles and (first.endswith(".") or not rest):
            return None  # "Mrs A. Collins", "Dr Ward": no first name to greet
        if first.endswith(".") or len(first) < 2:
            return None
        name = f"{first} {rest or ''}".strip()
        if _is_team(name, lists) or any(w.lower() in lists.team_words for w in _words(name)):
            return None
        if first.lower() in lists.not_names or first.lower() in lists.platforms or first.lower() in lists.ats:
            return None
        return first
    return None


def _best(cands: list[tuple[int, int, str]]) -> tuple[str | None, list[str]]:
    """The surest candidate; (None, [names]) when the surest ones disagree."""
    if not cands:
        return None, []
    top = max(w for w, _, _ in cands)
    names: list[str] = []
    for _w, _, name in sorted(c for c in cands if c[0] == top):
        if not any(same_name(name, n) for n in names):
            names.append(name)
    if len(names) > 1:
        return None, names
    # the shortest spelling among the equivalent ones ("Greenleaf" over "Greenleaf Consulting")
    return names[0], []


@lru_cache(maxsize=4)
def _platform_pattern(platforms: frozenset[str]) -> re.Pattern:
    """Any platform name as a whole word: one search per text instead of one per platform (a batch's hot spot)."""
    return re.compile("|".join(rf"\b{re.escape(p)}\b" for p in sorted(platforms)))


def find_mentions(text: str) -> Mentions:
    """The employer, role and signer a piece of feedback names; None for each one it does not name for sure."""
    lists = load_lists()
    text = text[:SCAN_CHARS].replace("\r\n", "\n")
    low = text.lower()
    lines = text.split("\n")
    alternative = _alternative_spans(text, low, lists)
    # a platform's whole-word search only where one of the names occurs at all
    for_client = any(map(low.__contains__, lists.client_cues)) or (
        any(map(low.__contains__, lists.platforms)) and bool(_platform_pattern(lists.platforms).search(low))
    )
    sign_off = _sign_off_index(lines, lists)
    body_end = sum(len(ln) + 1 for ln in lines[:sign_off]) if sign_off is not None else len(text)
    notes: list[str] = []

    tail = "\n".join(lines[sign_off + 1 :]) if sign_off is not None else "\n".join(lines[-4:])
    signature: list[tuple[int, int, str]] = []
    for pattern, weight in _COMPANY_SIGNATURE:
        for m in pattern.finditer(tail):
            if _words(m.group("name"))[-1].lower() in lists.agency_words:
                for_client = True  # "Reed Specialist Recruitment" signs for a client
                continue
            name = _clean_company(m.group("name"), lists)
            if name:
                signature.append((weight, body_end + m.start(), name))
    company_cands: list[tuple[int, int, str]] = []
    body = text[:body_end]
    folded = low[:body_end] if text.isascii() else fold(body)  # ASCII: lower() is fold()
    starts_of: dict = {}
    for pattern, weight, scan in _COMPANY_BODY:
        for m in _matches(pattern, scan, body, folded, starts_of):
            if _inside(m.start("name"), alternative):
                if for_client:
                    continue  # "a Platform Engineer position with Stackhouse" is another client's
                weight = 1  # "our careers page at Bramble Health": the employer, said in passing
            name = _clean_company(m.group("name"), lists)
            if name:
                company_cands.append((weight, m.start(), name))
    if not for_client:  # an agency's or platform's signature is not the employer's
        company_cands += signature

    role_cands: list[tuple[int, int, str]] = []
    for pattern, weight, scan in _ROLE:
        for m in _matches(pattern, scan, body, folded, starts_of):
            if _inside(m.start("name"), alternative):
                continue
            name = _clean_role(m.group("name"), lists)
            if name:
                role_cands.append((weight, m.start(), name))
    contact = _contact(lines, lists, sign_off)
    signer = _signer(lines, sign_off)

    # a role's words are not an employer ("the Store Manager role" -> "at Store Manager"), nor is the signer
    roles = {n.lower() for _, _, n in role_cands}
    company_cands = [
        c
        for c in company_cands
        if c[2].lower() not in roles and c[2] != contact and not (signer and same_name(c[2], signer))
    ]
    company, clash = _best(company_cands)
    if clash:
        notes.append(f"the text names more than one employer ({', '.join(clash)})")
    role = _first_role(role_cands, company)
    return Mentions(company=company, role=role, contact=contact, notes=tuple(notes))


def _first_role(cands: list[tuple[int, int, str]], company: str | None) -> str | None:
    """The role named first among the surest patterns: the role applied for comes before any other."""
    cands = [c for c in cands if company is None or not same_name(c[2], company)]
    if not cands:
        return None
    top = max(w for w, _, _ in cands)
    surest = sorted((pos, name) for w, pos, name in cands if w >= min(top, 2))
    return surest[0][1] if surest else None


_EQUIV_DROP = re.compile(
    r"\b(?:ltd|limited|llp|plc|inc|llc|gmbh|corp|co|the|role|position|post|vacancy|job|programme|program|scheme)\b\.?"
)


def same_name(a: str, b: str) -> bool:
    """Two spellings of one name: equal once case, legal endings and role words are set aside, or one begins the other."""

    def norm(s: str) -> str:
        s = re.sub(r"\([^)]*\)", " ", s.lower())
        s = _EQUIV_DROP.sub(" ", s)
        return " ".join(re.sub(r"[^\w&' ]", " ", s).split())

    x, y = norm(a), norm(b)
    if not x or not y:
        return False
    return x == y or x.startswith(y + " ") or y.startswith(x + " ")


def find_role(text: str) -> str | None:
    """The job title applied for, if the text names it for sure."""
    return find_mentions(text).role


def find_company(text: str) -> str | None:
    """The employer, if the text names it for sure (not a team, an agency, a platform or a software sender)."""
    return find_mentions(text).company


def find_contact(text: str) -> str | None:
    """The first name of the person who signed the message, if a person did."""
    return find_mentions(text).contact
