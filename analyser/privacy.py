"""Keep students' personal data out of shared reports: redact quotes and suppress small groups."""

from __future__ import annotations

import re
from functools import lru_cache

from .config import DATA_DIR

NAMES_PATH = DATA_DIR / "first_names.txt"
# A word of a name: letters (accented too), apostrophes and hyphens inside.
_W = r"[^\W\d_](?:[\w'’-]*[^\W\d_])?"
_CAPW = r"(?-i:(?:[A-Z]|[À-ÖØ-Þ])[\w'’-]*)"  # a capitalised word, even inside a case-blind pattern
_AT = r"\s*(?:@|[\[(]\s*at\s*[\])]|\s(?:at|AT)\s)\s*"
_DOT = r"\s*(?:\.|[\[(]\s*dot\s*[\])]|\s(?:dot|DOT)\s)\s*"
_EMAIL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)+", re.I)
_TLD = (
    "com|org|net|edu|gov|mil|int|io|co|uk|ac|me|ly|app|dev|ai|info|biz|eu|de|fr|es|it|nl|be|at|ch|se|no|dk|fi|pl|pt|"
    "ie|in|au|nz|ca|us|jp|cn|hk|sg|za|ng|ke|br|mx|ru|tv|gl|gd|to|link|site|online|tech|xyz|careers|jobs|page|ws"
)
_URL = re.compile(rf"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLD})\b(?:/[^\s,;)]*)?", re.I)
_NI = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s*,?\s*\d{{4}}\b|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
    re.I,
)
_ID = re.compile(
    r"\b(?:student|candidate|applicant|reference|ref|id)\s*(?:number|no\.?|id|#)?\s*[:#]?\s*[A-Z]*\d[\w-]{3,}\b"
    r"|\b[A-Z]{1,2}\d{6,10}\b|\b\d{7,10}\b",
    re.I,
)
_PHONE = re.compile(r"(?<!\w)(?:\+?\d[\d\s().-]{7,}\d)(?!\w)")
_TITLE = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor)\.?\s+{_CAPW}(?:[ \t]+{_CAPW})?")
_GREETING = re.compile(
    rf"\b(?:dear|hi|hiya|hello|hey|good (?:morning|afternoon|evening)|thanks|thank you)[ \t]*,?[ \t]+"
    rf"(?P<name>{_W}(?:[ \t]+{_CAPW}){{0,2}})",
    re.I,
)
_SIGN_OFF = re.compile(
    # "Kind regards Laura" needs no comma; "best" and "thanks" alone are ordinary words unless a comma or line follows
    rf"(?:\b(?:(?:kind|best|warm|warmest|many|with)\s+(?:regards|wishes|thanks)|yours (?:sincerely|faithfully|truly)|"
    rf"all the best)[ \t]*[,.!-]?[ \t]*(?:\n[ \t]*)*"
    rf"|\b(?:regards|thanks|sincerely|cheers|best|take care)(?:[ \t]*[,.!-][ \t]*(?:\n[ \t]*)*|[ \t]*(?:\n[ \t]*)+))"
    rf"(?P<name>{_W}(?:[ \t]+{_CAPW}){{0,2}})",
    re.I,
)
# Words that follow a greeting or sign-off and are not a person: kept.
_NOT_NAMES = frozenset(
    "the team talent recruitment hiring hr people we i thank thanks there all everyone everybody candidate candidates "
    "applicant applicants sir madam again folks guys for your you and to from on at in this our us so very much a an "
    "it regards wishes kindly both once too lot best please".split()
)
REDACTED = "[name]"


@lru_cache(maxsize=1)
def _first_names() -> re.Pattern:
    """The name list in data/ as one pattern: a listed first name, any case, and the capitalised surname after it."""
    names = [n.strip() for n in NAMES_PATH.read_text(encoding="utf-8").splitlines() if n.strip() and n[0] != "#"]
    alternation = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])(?:{alternation})(?![\w'’-])(?:[ \t]+{_CAPW}){{0,2}}", re.I)


def _name(m: re.Match) -> str:
    words = m.group("name").split()
    if not words or words[0].lower().strip(",.") in _NOT_NAMES:
        return m.group(0)
    start = m.start("name") - m.start(0)
    return m.group(0)[:start] + REDACTED


def redact(text: str) -> str:
    """The text with people's names, email addresses (obfuscated too), links and domains, phone numbers, student and
    other id numbers, UK postcodes, National Insurance numbers and dates (of birth, or any other) replaced."""
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    text = _NI.sub("[id]", text)
    text = _POSTCODE.sub("[postcode]", text)
    text = _DATE.sub("[date]", text)
    text = _ID.sub("[id]", text)
    text = _PHONE.sub("[phone]", text)
    text = _TITLE.sub(REDACTED, text)
    text = _GREETING.sub(_name, text)
    text = _SIGN_OFF.sub(_name, text)
    return _first_names().sub(REDACTED, text)


def suppress(count: int, min_group: int) -> int | str:
    """A count as it may be shared: the number itself, or '<N' when it is below the minimum group size."""
    return f"<{min_group}" if count < min_group else int(count)


WITHHELD = "withheld"  # a cell hidden only so that a small one cannot be worked out from a total


def secondary(cells: list[frozenset], hidden: set[int], min_group: int) -> set[int]:
    """Cells to hide in one line of a table whose total is shown (groups of a partition, or one reason across them).

    `cells` are the people (student ids, or row numbers) behind each cell; `hidden` the cells below the minimum size.
    Subtracting the shown cells from the total gives the sum of the hidden ones, so one hidden cell alone, or hidden
    cells of fewer than `min_group` people together, are revealed: the smallest shown cells are hidden as well until
    neither is true (secondary suppression, as statistical agencies do).
    """
    hidden = set(hidden)

    def safe() -> bool:
        together = len(frozenset().union(*(cells[i] for i in hidden)))
        # hidden cells that hold nobody give back only that: 0 names no one
        return together == 0 or (len(hidden) >= 2 and together >= min_group)

    while not safe():
        shown = [i for i in range(len(cells)) if i not in hidden]
        if not shown:
            break
        hidden.add(min(shown, key=lambda i: (len(cells[i]), i)))
    return hidden
