"""The follow-up message, composed from what the email says (templates in data/follow_up.toml).

Feedback offered on a call: take it up and propose two times. Feedback declined: no request for it, at most one
narrow question. No reason given: ask for one or two points. An experience reason, or a close second: ask what
experience the successful candidate had, never when the reason was logistics. A named gap: say what you will do
about it. Praise: thank them for it in one line. Always: you would be very interested should the chosen candidate
not work out or a similar position arise, and do they know of similar vacancies elsewhere.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from .config import DATA_DIR
from .datafiles import load_checked_toml
from .lexicons import SKILL_KINDS

FOLLOW_UP_PATH = DATA_DIR / "follow_up.toml"
Tone = Literal["formal", "warm"]
Channel = Literal["email", "linkedin"]
TONES: tuple[str, ...] = ("formal", "warm")
CHANNELS: tuple[str, ...] = ("email", "linkedin")

MENTION_FIELDS = ("company", "role", "contact")
PLACEHOLDER_TEXT = {"company": "[Company]", "role": "[Role]", "contact": "[Name]"}
MAX_SKILLS = 3

# Every tone has every key; each key may use the mention placeholders and those listed here.
TONE_KEYS: dict[str, frozenset[str]] = {
    "subject": frozenset(),
    "subject_no_role": frozenset(),
    "greeting": frozenset(),
    "thanks": frozenset(),
    "thanks_interview": frozenset(),
    "praise": frozenset({"praised"}),
    "call": frozenset({"time_1", "time_2"}),
    "written": frozenset(),
    "ask_feedback": frozenset(),
    "ask_experience": frozenset(),
    "narrow_question": frozenset(),
    "gap": frozenset({"skills", "plan"}),  # {skills}: the gap skills of one kind; {plan}: that kind's plan
    "should_candidate": frozenset(),
    "should_role": frozenset(),
    "keep_in_mind": frozenset({"should"}),
    "keep_in_mind_door_open": frozenset({"should"}),
    "ask_vacancies": frozenset(),
    "sign_off": frozenset(),
    "thanks_short": frozenset(),
    "call_short": frozenset({"time_1", "time_2"}),
    "keep_in_mind_short": frozenset({"should"}),
    "sign_off_short": frozenset(),
}
TOP_KEYS = {"version", "call_times", "close_second_cues", "call_cues", "aspects", "plans", "tones"}
INTERVIEW_STAGES = frozenset({"interview", "assessment", "final"})


class FollowUpError(ValueError):
    """The follow-up templates are not valid; the message lists every problem with its location."""


@dataclass(frozen=True)
class Templates:
    tones: dict[str, dict[str, str]]
    aspects: dict[str, str]
    plans: dict[str, str]
    call_times: tuple[str, str]
    close_second_cues: tuple[str, ...]
    call_cues: tuple[str, ...]


@dataclass(frozen=True)
class FollowUpFacts:
    """What the message is composed from: the analysis, reduced to what a reply needs."""

    reasons: list[str]
    door_open: bool = False
    feedback_offered: bool = False
    feedback_declined: bool = False
    offer_is_call: bool = False
    close_second: bool = False
    stage: str = "unknown"
    strength_aspects: list[str] = field(default_factory=list)
    praised_skills: list[str] = field(default_factory=list)
    gap_skills: dict[str, str] = field(default_factory=dict)  # skill -> kind, in the order the text names them
    company: str | None = None
    role: str | None = None
    contact: str | None = None


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _strings(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)


def validate(raw: dict, source: str) -> list[str]:
    """Every problem in parsed templates, each with its location."""
    problems = [f"{source}: unknown top-level key '{k}'" for k in sorted(raw.keys() - TOP_KEYS)]
    times = raw.get("call_times")
    if not _strings(times) or len(times) != 2:
        problems.append(f"{source}: 'call_times' must list two times")
    for key in ("close_second_cues", "call_cues"):
        if not _strings(raw.get(key)):
            problems.append(f"{source}: '{key}' must be a non-empty list of strings")
    aspects = raw.get("aspects")
    if not isinstance(aspects, dict) or not all(isinstance(v, str) and v.strip() for v in aspects.values()):
        problems.append(f"{source}: [aspects] must map each strength aspect to words")
    else:
        from .taxonomy import load_taxonomy

        for a in sorted(set(load_taxonomy().strength_aspects) - aspects.keys()):
            problems.append(f"{source}: aspects: missing '{a}'")
        for a in sorted(aspects.keys() - set(load_taxonomy().strength_aspects)):
            problems.append(f"{source}: aspects: unknown aspect '{a}'")
    plans = raw.get("plans")
    if not isinstance(plans, dict):
        problems.append(f"{source}: [plans] must be a table with one plan per skill kind")
    else:
        for k in sorted(set(SKILL_KINDS) - plans.keys()):
            problems.append(f"{source}: plans: missing '{k}'")
        for k, text in plans.items():
            if k not in SKILL_KINDS:
                problems.append(f"{source}: plans: unknown kind '{k}' (kinds: {', '.join(SKILL_KINDS)})")
            elif not isinstance(text, str) or _safe_fields(text) != {"skills"}:
                problems.append(f"{source}: plans.{k}: must be a string that uses {{skills}}")
    tones = raw.get("tones")
    if not isinstance(tones, dict) or set(tones) != set(TONES):
        problems.append(f"{source}: [tones] must have exactly the tones {', '.join(TONES)}")
        tones = tones if isinstance(tones, dict) else {}
    for tone, parts in tones.items():
        where = f"{source}: tones.{tone}"
        if not isinstance(parts, dict):
            problems.append(f"{where}: must be a table")
            continue
        for key in sorted(TONE_KEYS.keys() - parts.keys()):
            problems.append(f"{where}: missing '{key}'")
        for key in sorted(parts.keys() - TONE_KEYS.keys()):
            problems.append(f"{where}: unknown key '{key}'")
        for key, text in parts.items():
            if key not in TONE_KEYS:
                continue
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}.{key}: must be a non-empty string")
                continue
            used = _safe_fields(text)
            allowed = TONE_KEYS[key] | set(MENTION_FIELDS)
            if used is None:
                problems.append(f"{where}.{key}: bad placeholder")
            elif used - allowed:
                problems.append(
                    f"{where}.{key}: unknown placeholder(s) {sorted(used - allowed)} (allowed: {', '.join(sorted(allowed))})"
                )
    return problems


def _safe_fields(text: str) -> set[str] | None:
    try:
        return _fields(text)
    except ValueError:
        return None


@lru_cache(maxsize=4)
def load_templates(path: Path = FOLLOW_UP_PATH) -> Templates:
    """Read and validate the templates; FollowUpError lists every problem."""
    raw = load_checked_toml(path, "follow-up templates", validate, FollowUpError)
    return Templates(
        tones={t: dict(p) for t, p in raw["tones"].items()},
        aspects=dict(raw["aspects"]),
        plans=dict(raw["plans"]),
        call_times=tuple(raw["call_times"]),
        close_second_cues=tuple(c.lower() for c in raw["close_second_cues"]),
        call_cues=tuple(c.lower() for c in raw["call_cues"]),
    )


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def compose(
    facts: FollowUpFacts, *, tone: str = "formal", channel: str = "email", templates: Templates | None = None
) -> tuple[str, list[str]]:
    """The message and its warnings (placeholders the person must fill in). ValueError for an unknown tone/channel."""
    if tone not in TONES:
        raise ValueError(f"unknown tone '{tone}' (valid: {', '.join(TONES)})")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel '{channel}' (valid: {', '.join(CHANNELS)})")
    t = templates or load_templates()
    parts = t.tones[tone]
    names = {f: getattr(facts, f) or PLACEHOLDER_TEXT[f] for f in MENTION_FIELDS}
    logistics = "logistics" in facts.reasons
    values = {**names, "time_1": t.call_times[0], "time_2": t.call_times[1]}
    values["should"] = parts["should_role" if logistics else "should_candidate"].format(**values)

    def say(key: str, **extra) -> str:
        return parts[key].format(**values, **extra)

    used_keys: list[str] = []

    def use(key: str, **extra) -> str:
        used_keys.append(key)
        return say(key, **extra)

    experience_question = ("experience" in facts.reasons or facts.close_second) and not logistics
    if channel == "linkedin":
        lines = [use("greeting"), use("thanks_short")]
        if facts.feedback_offered and facts.offer_is_call:
            lines.append(use("call_short"))
        elif facts.feedback_offered:
            lines.append(use("written"))
        lines.append(use("keep_in_mind_short"))
        body = lines[0] + "\n\n" + " ".join(lines[1:]) + "\n\n" + use("sign_off_short")
        return body, _warnings(facts, body)

    first = [use("thanks_interview" if facts.stage in INTERVIEW_STAGES else "thanks")]
    praised = _praised_words(facts, t)
    if praised:
        first.append(use("praise", praised=praised))
    second: list[str] = []
    if facts.feedback_offered and facts.offer_is_call:
        second.append(use("call"))
    elif facts.feedback_offered:
        second.append(use("written"))
    elif facts.feedback_declined:
        if experience_question:
            second.append(use("narrow_question"))
    elif experience_question:
        second.append(use("ask_experience"))
    elif not facts.reasons or facts.reasons == ["unspecified"]:
        second.append(use("ask_feedback"))
    gap = _gap_line(facts, t)
    if gap:
        second.append(use("gap", **gap))
    third = [use("keep_in_mind_door_open" if facts.door_open else "keep_in_mind"), use("ask_vacancies")]
    paragraphs = [use("greeting"), " ".join(first), " ".join(second), " ".join(third), use("sign_off")]
    body = "\n\n".join(p for p in paragraphs if p)
    subject = say("subject") if facts.role else say("subject_no_role")
    message = f"Subject: {subject}\n\n{body}"
    return message, _warnings(facts, message)


def _praised_words(facts: FollowUpFacts, t: Templates) -> str:
    """What they praised, in a few words: the skills named in praise, else the first praised aspect."""
    if facts.praised_skills:
        return "my " + join_names(facts.praised_skills[:MAX_SKILLS])
    for aspect in facts.strength_aspects:
        if aspect in t.aspects:
            return t.aspects[aspect]
    return ""


def _gap_line(facts: FollowUpFacts, t: Templates) -> dict | None:
    """The skills of the first gap's kind and the plan for that kind, or None when no skill gap is named."""
    if not facts.gap_skills:
        return None
    kind = next(iter(facts.gap_skills.values()))
    skills = join_names([s for s, k in facts.gap_skills.items() if k == kind][:MAX_SKILLS])
    return {"skills": skills, "plan": t.plans[kind].format(skills=skills)}


def _warnings(facts: FollowUpFacts, message: str) -> list[str]:
    missing = [
        PLACEHOLDER_TEXT[f] for f in MENTION_FIELDS if getattr(facts, f) is None and PLACEHOLDER_TEXT[f] in message
    ]
    if not missing:
        return []
    return [
        f"the follow-up says {join_names(missing)} where the text does not name them for sure: fill them in before sending"
    ]


def offer_is_call(sentences: list[str], t: Templates | None = None) -> bool:
    """Whether a sentence offering feedback offers to talk (a call, a chat, a meeting)."""
    t = t or load_templates()
    return any(any(c in s.lower() for c in t.call_cues) for s in sentences)


def says_close_second(text: str, t: Templates | None = None) -> bool:
    """Whether the text says the candidate came close ("a very close second", "narrowly")."""
    t = t or load_templates()
    low = text.lower()
    return any(c in low for c in t.close_second_cues)
