"""Keep students' personal data out of shared reports: redact quotes and suppress small groups."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|co\.uk|ac\.uk|gov\.uk|io|edu)(?:/\S*)?", re.I
)
_PHONE = re.compile(r"(?<!\w)(?:\+?\d[\d\s().-]{7,}\d)(?!\w)")
_NAME = r"[A-Z][a-zA-Z'’-]+(?:[ \t]+[A-Z][a-zA-Z'’-]+){0,2}"
_GREETING = re.compile(
    rf"\b(Dear|Hi|Hello|Hey|Morning|Afternoon|Good (?:morning|afternoon|evening)|Thanks|Thank you),?\s+(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+)?({_NAME})(?=\s*[,!.:\n]|\s*$)"
)
_SIGN_OFF = re.compile(
    rf"((?:Kind|Best|Warm|Many)?\s*(?:regards|wishes|thanks)|Sincerely|Yours sincerely|Yours faithfully|Cheers|Best)\s*,?\s*\n+\s*({_NAME})\b",
    re.I,
)
_NOT_NAMES = frozenset({"The", "Team", "Talent", "Recruitment", "Hiring", "HR", "People", "We", "I", "Thank", "Thanks"})
REDACTED = "[name]"


def redact(text: str) -> str:
    """The text with email addresses, phone numbers, URLs and people's names in greetings and sign-offs replaced."""
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    text = _PHONE.sub("[phone]", text)
    text = _GREETING.sub(
        lambda m: m.group(0) if m.group(2).split()[0] in _NOT_NAMES else m.group(0).replace(m.group(2), REDACTED), text
    )
    text = _SIGN_OFF.sub(
        lambda m: m.group(0) if m.group(2).split()[0] in _NOT_NAMES else m.group(0).replace(m.group(2), REDACTED), text
    )
    return text


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
