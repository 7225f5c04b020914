"""The role and employer a piece of feedback names, for the follow-up message ("the Data Analyst role at Acme")."""

from __future__ import annotations

import re

_CAP = r"[A-Z][\w&'’./+-]*"
_NAME = rf"{_CAP}(?:\s(?:(?:of|and|&|for|de|la|-|–)\s)?{_CAP})*(?:\s\(\w[\w ]*\))?"
_ROLE_WORDS = (
    r"(?:role|position|post|vacancy|job|opening|opportunity|internship|programme|program|scheme|placement|contract)"
)
_ROLE_PATTERNS = [
    re.compile(rf"\b{_ROLE_WORDS} (?:of|as) (?:an? )?(?P<role>{_NAME})(?=[\s,.;:!)]|$)"),
    re.compile(rf"\b(?:the|our|your|this|for|an?) (?P<role>{_NAME}) {_ROLE_WORDS}\b"),
    re.compile(
        rf"\b(?:application|applying|applied|interviewing|interview|candidacy) (?:for|to) (?:the |our |an? )?(?P<role>{_NAME})(?=\s(?:at|with|in|position|role)\b|[,.;]|$)"
    ),
]
_COMPANY_PATTERNS = [
    re.compile(
        rf"\b(?:interest in|applying to|applying for a role at|career(?:s)? (?:at|with)|joining|to join|(?:role|position|job|opportunity|post|vacancy) (?:at|with)|team at|interviewing with|interview with|here at|everyone at|all of us at) (?P<company>{_NAME})(?=[\s,.;:!'’]|$)"
    ),
    re.compile(
        rf"(?P<company>{_NAME}) (?:Talent Acquisition|Recruiting|Recruitment|Human Resources|HR|People|Careers|Hiring) Team\b"
    ),
    re.compile(rf"\bThe (?P<company>{_NAME}) (?:Team|team|Recruitment Team|Hiring Team)\b"),
    re.compile(rf"\b(?:at|with) (?P<company>{_NAME})(?=\s*[,.;:!]|\s*$)"),
]
_NOT_NAMES = frozenset(
    "The This That Our Your We Unfortunately Thank Thanks Dear Hi Hello After At In On Please Sincerely Regards Best Kind "
    "Many However Although While It Its As Recruitment Talent Hiring HR People Team Careers Human Resources Re Subject".split()
)


def _clean_name(name: str) -> str | None:
    words = name.strip(" -–,.").split()
    while words and words[0] in _NOT_NAMES:
        words = words[1:]
    while words and words[-1].lower() in {"of", "and", "&", "for", "de", "la", "-"}:
        words = words[:-1]
    if not words or len(words) > 8 or len(" ".join(words)) < 2:
        return None
    return " ".join(words)


def _first(patterns, group: str, text: str) -> str | None:
    for pattern in patterns:
        for m in pattern.finditer(text):
            name = _clean_name(m.group(group))
            if name:
                return name
    return None


def find_role(text: str) -> str | None:
    """The job title the text names, if it names one."""
    return _first(_ROLE_PATTERNS, "role", text[:3000])


def find_company(text: str) -> str | None:
    """The employer the text names, if it names one."""
    return _first(_COMPANY_PATTERNS, "company", text[:3000])


_SIGN_OFF = re.compile(
    r"^\s*(?:kind|best|warm|many thanks|thanks|with thanks|all the best|yours sincerely|sincerely|regards|cheers)[\w ]{0,15},?\s*\n+\s*"
    r"(?P<name>[A-Z][a-z'’-]+(?: [A-Z][a-z'’-]+){0,2})\s*$",
    re.I | re.M,
)
_TEAMISH = frozenset({"team", "recruitment", "talent", "hiring", "people", "hr", "careers", "acquisition", "the"})


def find_contact(text: str) -> str | None:
    """The first name of the person who signed the message, if a person did."""
    for m in _SIGN_OFF.finditer(text):
        name = m.group("name")
        if not set(name.lower().split()) & _TEAMISH:
            return name.split()[0]
    return None
