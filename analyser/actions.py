"""The action catalogue (data/actions.toml or a careers service's own): loading, validation, and filling in.

Titles and steps may use {skills}, {skill}, {role} and {company}; an action that does must list them in `needs`, so
it is chosen only when the feedback names them. Only skill gaps fill {skills} (a praised skill is a strength, never
homework), and an action with `kinds` only takes gaps of those kinds (a soft skill gets practice, a tool a project).
At most five actions, ranked by their reason's score; `stages` and `unless` keep an action to the stages and signals
it fits ("do a mock interview" is not advice after a CV screen).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import ACTIONS_PATH
from .datafiles import load_checked_toml
from .taxonomy import load_taxonomy

PLACEHOLDERS = frozenset({"skills", "skill", "role", "company"})
ACTION_KEYS = {"id", "reason", "title", "steps", "needs", "kinds", "stages", "unless"}
SIGNAL_SECTIONS = ("door_open", "feedback_offered")
ACTIONS_PER_REASON = 2
MAX_ACTIONS = 5
MAX_SKILLS = 3


class CatalogueError(ValueError):
    """The catalogue file is not valid; the message lists every problem with its location."""


@dataclass(frozen=True)
class Action:
    reason: str
    title: str
    steps: tuple[str, ...]
    needs: frozenset[str] = frozenset()
    id: str = ""
    kinds: frozenset[str] = frozenset()  # skill kinds whose gaps fill {skills}; empty: any gap
    stages: frozenset[str] = frozenset()  # offered only at these stages (or when the stage is unknown); empty: any
    unless: frozenset[str] = frozenset()  # not offered when any of these signals is present

    def fill(self, values: dict[str, str]) -> dict:
        return {
            "reason": self.reason,
            "title": self.title.format(**values),
            "steps": [s.format(**values) for s in self.steps],
        }


@dataclass(frozen=True)
class Catalogue:
    actions: tuple[Action, ...]
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
        problems += _check_filters(a, where, needs)
        if not needs and reason:
            generic[reason] = generic.get(reason, 0) + 1
    for reason in sorted(set(tax.reason_names) - generic.keys()):
        problems.append(f"{source}: reason '{reason}' needs at least one action without 'needs'")
    if "follow_up" in raw:
        problems.append(
            f"{source}: [follow_up] is no longer read from the action catalogue: the follow-up message's templates "
            "are data/follow_up.toml"
        )
    for key in sorted(raw.keys() - {"version", "actions", "follow_up"}):
        problems.append(f"{source}: unknown top-level key '{key}'")
    return problems


@lru_cache(maxsize=8)
def load_catalogue(path: Path = ACTIONS_PATH) -> Catalogue:
    """Read and validate a catalogue; CatalogueError lists every problem."""
    raw = load_checked_toml(path, "action catalogue", validate, CatalogueError)
    actions = tuple(
        Action(
            a["reason"],
            a["title"],
            tuple(a["steps"]),
            frozenset(a.get("needs", [])),
            id=a.get("id", ""),
            kinds=frozenset(a.get("kinds", [])),
            stages=frozenset(a.get("stages", [])),
            unless=frozenset(a.get("unless", [])),
        )
        for a in raw["actions"]
    )
    return Catalogue(actions, str(path))


def _check_filters(a: dict, where: str, needs: list) -> list[str]:
    """Problems with an action's `kinds`, `stages` and `unless` lists."""
    from .lexicons import SKILL_KINDS

    tax = load_taxonomy()
    problems = []
    for key, valid in (("kinds", SKILL_KINDS), ("stages", tax.stages), ("unless", tax.signals)):
        value = a.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or set(value) - set(valid):
            problems.append(f"{where}: '{key}' must list only {', '.join(valid)}")
    if a.get("kinds") and "skills" not in needs and "skill" not in needs:
        problems.append(f"{where}: 'kinds' is for actions that use {{skills}}: add \"skills\" to 'needs'")
    return problems


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def choose_actions(
    catalogue: Catalogue,
    reasons: list[str],
    *,
    signals: dict[str, bool] | None = None,
    stage: str = "unknown",
    gaps: dict[str, str] | None = None,
    role: str | None = None,
    company: str | None = None,
) -> list[dict]:
    """At most five actions: for each reason in the order given (highest score first), those that fit the gaps named,
    the stage and the signals (specific ones first), then one for each signal that has actions.

    `gaps` maps each skill gap to its kind, in the order the text names them; praised skills are not gaps. Named gaps
    get the skills advice even when the model put the sentence under another reason ("your leadership is not yet
    strong enough for a team of eight" read as experience).
    Every reason gets one action before any gets a second; no action and no skill's specific advice comes twice.
    """
    signals = signals or {}
    gaps = gaps or {}
    on = {s for s, v in signals.items() if v}
    base = {"role": role or "", "company": company or ""}
    queues: list[list[tuple[Action, dict, frozenset[str]]]] = []
    named = list(dict.fromkeys(reasons))
    if gaps and "skills" not in named:
        named.append("skills")  # a skill the text names as a gap gets its advice, whichever reason carried it
    sections = named + [s for s in SIGNAL_SECTIONS if s in on]
    for reason in sections:
        queue = []
        for a in catalogue.actions:
            if a.reason != reason or a.unless & on or (a.stages and stage != "unknown" and stage not in a.stages):
                continue
            values, skills = dict(base), frozenset()
            if a.needs & {"skills", "skill"}:
                fitting = [s for s, k in gaps.items() if not a.kinds or k in a.kinds][:MAX_SKILLS]
                if not fitting:
                    continue
                values |= {"skills": join_names(fitting), "skill": fitting[0]}
                skills = frozenset(fitting)
            if not all(values.get(n) for n in a.needs):
                continue
            queue.append((a, values, skills))
        # stable: advice on the named gaps first, then other specific advice, catalogue order within each group
        queue.sort(key=lambda item: (not item[2], not item[0].needs))
        queues.append(queue)
    chosen: dict[int, list[dict]] = {}
    titles: set[str] = set()
    covered: set[str] = set()
    count = 0
    for round_ in range(ACTIONS_PER_REASON):
        for rank, queue in enumerate(queues):
            if count >= MAX_ACTIONS:
                break
            if round_ > 0 and rank >= len(named):
                continue  # signals get one action each
            while queue:
                a, values, skills = queue.pop(0)
                filled = a.fill(values)
                if filled["title"] in titles or (skills and skills <= covered):
                    continue
                titles.add(filled["title"])
                covered |= skills
                chosen.setdefault(rank, []).append(filled)
                count += 1
                break
    return [a for rank in sorted(chosen) for a in chosen[rank]]
