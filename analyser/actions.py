"""The action catalogue (data/actions.toml or a careers service's own): loading, validation, and filling in.

Titles and steps may use {skills}, {skill}, {role} and {company}; an action that does must list them in `needs`, so
it is chosen only when the feedback names them.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import ACTIONS_PATH
from .taxonomy import load_taxonomy

PLACEHOLDERS = frozenset({"skills", "skill", "role", "company"})
ACTION_KEYS = {"id", "reason", "title", "steps", "needs"}
SIGNAL_SECTIONS = ("door_open",)
FOLLOW_UP_KEYS = {
    "subject",
    "subject_fallback",
    "greeting",
    "greeting_fallback",
    "thanks",
    "thanks_fallback",
    "ask_feedback",
    "ask_successful_candidate",
    "keep_in_mind",
    "keep_in_mind_fallback",
    "ask_vacancies",
    "sign_off",
}
FOLLOW_UP_REQUIRED = {
    "greeting_fallback",
    "thanks_fallback",
    "ask_feedback",
    "ask_successful_candidate",
    "keep_in_mind",
    "ask_vacancies",
    "sign_off",
}
ACTIONS_PER_REASON = 2
FOLLOW_UP_PLACEHOLDERS = frozenset({"role", "company", "contact"})


class CatalogueError(ValueError):
    """The catalogue file is not valid; the message lists every problem with its location."""


@dataclass(frozen=True)
class Action:
    reason: str
    title: str
    steps: tuple[str, ...]
    needs: frozenset[str] = frozenset()

    def fill(self, values: dict[str, str]) -> dict:
        return {
            "reason": self.reason,
            "title": self.title.format(**values),
            "steps": [s.format(**values) for s in self.steps],
        }


@dataclass(frozen=True)
class Catalogue:
    actions: tuple[Action, ...]
    follow_up: dict[str, str]
    source: str


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def validate(raw: dict, source: str) -> list[str]:
    """Every problem in a parsed catalogue, each with its location."""
    tax = load_taxonomy()
    valid_reasons = set(tax.reason_names) | set(SIGNAL_SECTIONS)
    problems = []
    actions = raw.get("actions")
    if not isinstance(actions, list) or not actions:
        return [f"{source}: needs a list of [[actions]]"]
    generic: dict[str, int] = {}
    seen_ids: set[str] = set()
    for i, a in enumerate(actions):
        where = f"{source}: actions[{i}]"
        if not isinstance(a, dict):
            problems.append(f"{where}: must be a table")
            continue
        if "id" in a and not isinstance(a["id"], str):
            problems.append(f"{where}: 'id' must be a string")
        elif "id" in a:
            if a["id"] in seen_ids:
                problems.append(f"{where}: duplicate id '{a['id']}'")
            seen_ids.add(a["id"])
        for key in sorted(a.keys() - ACTION_KEYS):
            problems.append(f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(ACTION_KEYS))})")
        for key in sorted({"reason", "title", "steps"} - a.keys()):
            problems.append(f"{where}: missing '{key}'")
        reason = a.get("reason")
        if reason is not None and not isinstance(reason, str):
            problems.append(f"{where}: 'reason' must be a string")
            reason = None
        elif reason is not None and reason not in valid_reasons:
            problems.append(f"{where}: unknown reason '{reason}' (valid: {', '.join(sorted(valid_reasons))})")
        steps = a.get("steps", [])
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and s.strip() for s in steps):
            problems.append(f"{where}: 'steps' must be a non-empty list of strings")
            steps = []
        title = a.get("title", "")
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{where}: 'title' must be a non-empty string")
            title = ""
        needs = a.get("needs", [])
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs) or not set(needs) <= PLACEHOLDERS:
            problems.append(f"{where}: 'needs' must list only {', '.join(sorted(PLACEHOLDERS))}")
            needs = []
        try:
            used = _fields(title).union(*(_fields(s) for s in steps))
        except ValueError as exc:
            problems.append(f"{where}: bad placeholder ({exc})")
            continue
        if used - PLACEHOLDERS:
            problems.append(
                f"{where}: unknown placeholder(s) {sorted(used - PLACEHOLDERS)} (allowed: {', '.join(sorted(PLACEHOLDERS))})"
            )
        undeclared = (
            (used & PLACEHOLDERS)
            - set(needs)
            - ({"skill"} if "skills" in needs else set())
            - ({"skills"} if "skill" in needs else set())
        )
        if undeclared:
            problems.append(f"{where}: uses {sorted(undeclared)} but 'needs' does not list them")
        if not needs and reason:
            generic[reason] = generic.get(reason, 0) + 1
    for reason in sorted(valid_reasons - generic.keys()):
        problems.append(f"{source}: reason '{reason}' needs at least one action without 'needs'")
    follow = raw.get("follow_up", {})
    if not isinstance(follow, dict):
        problems.append(f"{source}: [follow_up] must be a table")
    else:
        for key in sorted(follow.keys() - FOLLOW_UP_KEYS):
            problems.append(f"{source}: follow_up: unknown key '{key}'")
        for key in sorted(FOLLOW_UP_REQUIRED - follow.keys()):
            problems.append(f"{source}: follow_up: missing '{key}'")
        for key, text in follow.items():
            # checked here, not when the first message is drafted
            if not isinstance(text, str):
                problems.append(f"{source}: follow_up.{key}: must be a string")
                continue
            try:
                used = _fields(text)
            except ValueError as exc:
                problems.append(f"{source}: follow_up.{key}: bad placeholder ({exc})")
                continue
            if used - FOLLOW_UP_PLACEHOLDERS:
                problems.append(
                    f"{source}: follow_up.{key}: unknown placeholder(s) {sorted(used - FOLLOW_UP_PLACEHOLDERS)} "
                    f"(allowed: {', '.join(sorted(FOLLOW_UP_PLACEHOLDERS))})"
                )
            elif key.endswith("_fallback") and used - {"contact"}:
                problems.append(f"{source}: follow_up.{key}: a fallback must not use placeholders")
    for key in sorted(raw.keys() - {"version", "actions", "follow_up"}):
        problems.append(f"{source}: unknown top-level key '{key}'")
    return problems


@lru_cache(maxsize=8)
def load_catalogue(path: Path = ACTIONS_PATH) -> Catalogue:
    """Read and validate a catalogue; CatalogueError lists every problem."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise CatalogueError(f"action catalogue not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML ({exc})") from None
    problems = validate(raw, str(path))
    if problems:
        raise CatalogueError("invalid action catalogue:\n  " + "\n  ".join(problems))
    actions = tuple(
        Action(a["reason"], a["title"], tuple(a["steps"]), frozenset(a.get("needs", []))) for a in raw["actions"]
    )
    return Catalogue(actions, dict(raw.get("follow_up", {})), str(path))


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def choose_actions(
    catalogue: Catalogue,
    reasons: list[str],
    door_open: bool,
    *,
    skills: list[str],
    role: str | None,
    company: str | None,
) -> list[dict]:
    """Actions for each reason (specific ones first, when the text names what they need), then door-open ones."""
    values = {
        "skills": join_names(skills[:3]),
        "skill": skills[0] if skills else "",
        "role": role or "",
        "company": company or "",
    }
    have = {k for k, v in values.items() if v}
    chosen = []
    for reason in list(reasons) + (["door_open"] if door_open else []):
        fitting = [a for a in catalogue.actions if a.reason == reason and a.needs <= have]
        fitting.sort(key=lambda a: not a.needs)  # stable: specific first, catalogue order within each group
        chosen.extend(a.fill(values) for a in fitting[:ACTIONS_PER_REASON])
    return chosen


def draft_follow_up(
    catalogue: Catalogue, *, reasons: list[str], role: str | None, company: str | None, contact: str | None = None
) -> str:
    """A short, ready-to-send reply: thanks, ask for feedback or about the successful candidate, keep me in mind."""
    t = catalogue.follow_up
    values = {"role": role or "", "company": company or "", "contact": contact or ""}

    def pick(key: str) -> str:
        text = t.get(key, "")
        if not text or (_fields(text) - {k for k, v in values.items() if v}):
            text = t.get(key + "_fallback", "")
        return text.format(**values)

    # With no reason given, feedback is the first thing to ask for; with reasons, what the successful candidate had.
    asks = ["ask_feedback", "ask_successful_candidate"]
    if reasons and reasons != [load_taxonomy().none_reason]:
        asks.reverse()
    asks = [pick(k) for k in asks]
    parts = [pick("greeting"), pick("thanks"), *asks, pick("keep_in_mind"), pick("ask_vacancies"), pick("sign_off")]
    body = "\n\n".join(p.strip() for p in parts if p and p.strip())
    subject = pick("subject")
    return f"Subject: {subject}\n\n{body}" if subject else body
