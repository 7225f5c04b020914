"""analyse(text) and analyse_many(texts): the product's core, used by the CLI, batch, trends and the web page."""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from .actions import ACTIONS_PATH, choose_actions, load_catalogue
from .components.words import doc_words
from .config import MAX_CHARS, MODEL_DIR
from .features import clauses, spans_in
from .follow_up import FollowUpFacts, compose, load_templates, offer_is_call, says_close_second
from .language import detect_language
from .mentions import find_mentions
from .pipeline import load_pipeline
from .signals import detect_signals, detect_stage, sentence_bounds
from .skill_polarity import skill_polarity
from .taxonomy import load_taxonomy
from .text_cleaning import clean, normalise_raw

MAX_EVIDENCE = 3
STRENGTH_CUT = 0.5
# Scores of a text that is not English are capped below the reporting line: no confident reason is invented.
NON_ENGLISH_CAP = 0.45


class InputError(ValueError):
    """The input cannot be analysed (empty, whitespace only, unreadable); the message says why in one line."""


@dataclass
class Analysis:
    reasons: list[dict]
    scores: dict[str, float]
    strengths: list[dict]
    signals: dict[str, bool]
    stage: str
    skills_gaps: list[str]
    skills_praised: list[str]
    skills_mentioned: list[str]  # gaps and praised skills together, in the order the text names them
    actions: list[dict]
    follow_up: str
    language: str
    warnings: list[str] = field(default_factory=list)
    model_version: str = ""
    text: str = ""  # the cleaned text that was analysed (not part of the JSON output)
    # (start, end, kind) character spans of `text` to highlight: kind is a reason for evidence, or "strength"
    highlights: list[tuple[int, int, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Exactly the `analyse --json` object."""
        return {
            "reasons": self.reasons,
            "scores": self.scores,
            "strengths": self.strengths,
            "signals": self.signals,
            "stage": self.stage,
            "skills_gaps": self.skills_gaps,
            "skills_praised": self.skills_praised,
            "skills_mentioned": self.skills_mentioned,
            "actions": self.actions,
            "follow_up": self.follow_up,
            "language": self.language,
            "warnings": self.warnings,
            "model_version": self.model_version,
        }

    @property
    def reason_names(self) -> list[str]:
        return [r["reason"] for r in self.reasons]


def _check_input(text) -> str:
    if not isinstance(text, str):
        raise InputError(f"expected text, got {type(text).__name__}")
    if not text.strip():
        raise InputError("the feedback is empty: paste or pass the text of the email or note")
    return text


def analyse(
    text: str,
    *,
    model: Path = MODEL_DIR,
    actions: Path = ACTIONS_PATH,
    max_chars: int = MAX_CHARS,
    tone: str = "formal",
    channel: str = "email",
) -> Analysis:
    """Analyse one piece of feedback. Raises InputError for empty input.

    `tone` (formal, warm) and `channel` (email, linkedin) shape the follow-up message; ValueError for others.
    """
    _check_input(text)
    return next(
        analyse_many(
            [text], model=model, actions=actions, max_chars=max_chars, errors="raise", tone=tone, channel=channel
        )
    )


def analyse_many(
    texts: Iterable[str],
    *,
    model: Path = MODEL_DIR,
    actions: Path = ACTIONS_PATH,
    max_chars: int = MAX_CHARS,
    batch_size: int = 64,
    errors: str = "return",
    timings: dict[str, float] | None = None,
    tone: str = "formal",
    channel: str = "email",
    highlights: bool = True,
) -> Iterator[Analysis | InputError]:
    """Analyse many texts with batched spaCy processing, in order.

    With errors="return" a bad text yields its InputError in its place (so a batch never stops); with "raise" it raises.
    `timings`, when given, accumulates the seconds spent cleaning text and in the model (for the benchmark).
    `highlights=False` leaves Analysis.highlights empty (only the web page shows them): the rest is the same.
    """
    nlp = load_pipeline(Path(model))
    catalogue = load_catalogue(Path(actions))
    compose(FollowUpFacts(reasons=[]), tone=tone, channel=channel)  # a bad tone or channel fails before any work
    clock = timings if timings is not None else {}
    prepared = _prepare(texts, max_chars, errors)
    while True:
        t0 = time.perf_counter()
        chunk = list(islice(prepared, batch_size))
        t1 = time.perf_counter()
        clock["cleaning"] = clock.get("cleaning", 0.0) + t1 - t0
        if not chunk:
            break
        good = [item for item in chunk if not isinstance(item, InputError)]
        docs = list(nlp.pipe((cleaned for _, cleaned, _ in good), batch_size=batch_size))
        results = iter(
            [
                _result(doc, raw, cleaned, warnings, nlp, catalogue, tone=tone, channel=channel, highlights=highlights)
                for doc, (raw, cleaned, warnings) in zip(docs, good)
            ]
        )
        clock["model"] = clock.get("model", 0.0) + time.perf_counter() - t1
        for item in chunk:
            yield item if isinstance(item, InputError) else next(results)


def _prepare(texts, max_chars, errors):
    for text in texts:
        try:
            raw = _check_input(text)
            cleaned = clean(raw, max_chars=max_chars)
            # The result's name and employer are found in the raw text: bounded and valid like the cleaned one.
            raw = normalise_raw(raw, max_chars=max_chars)
            if not cleaned.text.strip():
                raise InputError("no feedback text left after removing quoted replies, signatures and disclaimers")
        except InputError as exc:
            if errors == "raise":
                raise
            yield exc
            continue
        yield raw, cleaned.text, cleaned.warnings


def _result(
    doc,
    raw: str,
    text: str,
    warnings: list[str],
    nlp,
    catalogue,
    *,
    tone: str = "formal",
    channel: str = "email",
    highlights: bool = True,
) -> Analysis:
    """The analysis of one processed doc; `text` is the string it was made from (doc.text, which spaCy rebuilds from
    the tokens on every access)."""
    tax = load_taxonomy()
    gap_reasons = tax.gap_reasons  # a property that rebuilds its tuple on each read
    clf = nlp.get_pipe("reasons")
    labels = clf.labels_
    probs = doc._.sent_scores
    sents = list(doc.sents)
    starts = [s.start for s in sents] if doc.has_annotation("SENT_START") else []
    language = detect_language(text)
    warnings = list(warnings)
    scores = {r: round(float(doc.cats.get(r, 0.0)), 4) for r in gap_reasons}
    if language != "en":
        warnings.append(f"the text does not look like English (detected '{language}'): reasons may be missed")
        scores = {r: min(s, NON_ENGLISH_CAP) for r, s in scores.items()}

    strengths, praised = _strengths(sents, probs, labels, text)
    evidence_of: dict[int, list[str]] = {}
    reasons = []
    for r in sorted(gap_reasons, key=lambda r: -scores[r]):
        if scores[r] < 0.5:
            continue
        evidence_idx = _evidence(r, sents, probs, labels, clf.thresholds_.get(r, 0.5), praised)
        evidence = [_tidy(_text_of(sents[i], text)) for i in evidence_idx]
        for i in evidence_idx:
            evidence_of.setdefault(i, []).append(r)
        if not evidence:
            # Every sentence behind the score praises that very aspect: a strength, not a gap.
            scores[r] = min(scores[r], 0.49)
            continue
        reasons.append({"reason": r, "score": scores[r], "evidence": evidence})
    none_score = round(1.0 - max(scores.values(), default=0.0), 4)
    scores = {r: scores.get(r, 0.0) for r in gap_reasons} | {tax.none_reason: none_score if not reasons else 0.0}
    if not reasons:
        reasons = [{"reason": tax.none_reason, "score": none_score, "evidence": []}]

    spans = _highlights(doc, sents, praised, evidence_of) if highlights else []
    signals = detect_signals(doc)
    stage = detect_stage(doc, starts, doc_words(doc))
    polarity = skill_polarity(doc, clf, sents)
    gaps = {s: polarity.kinds[s] for s in polarity.gaps}
    mentions = find_mentions(raw)
    names = [r["reason"] for r in reasons]
    # the sentences that offer feedback matter only when the text offers it (the follow-up reads nothing else)
    offered = signals.get("feedback_offered", False)
    offered_in = [
        _text_of(doc[slice(*sentence_bounds(c, starts))], text)
        for c in (doc.spans.get("cues", []) if offered else [])
        if c.label_ == "feedback_offered"
    ]
    facts = FollowUpFacts(
        reasons=names,
        door_open=signals.get("door_open", False),
        feedback_offered=offered,
        feedback_declined=signals.get("feedback_declined", False),
        offer_is_call=offer_is_call(offered_in),
        close_second=says_close_second(text),
        stage=stage,
        strength_aspects=[s["aspect"] for s in strengths],
        praised_skills=polarity.praised,
        gap_skills=gaps,
        company=mentions.company,
        role=mentions.role,
        contact=mentions.contact,
    )
    follow_up, follow_warnings = compose(facts, tone=tone, channel=channel, templates=load_templates())
    warnings += [f"{note}: the follow-up does not name it" for note in mentions.notes] + follow_warnings
    return Analysis(
        reasons=reasons,
        scores=scores,
        strengths=strengths,
        signals=signals,
        stage=stage,
        skills_gaps=polarity.gaps,
        skills_praised=polarity.praised,
        skills_mentioned=polarity.mentioned,
        actions=choose_actions(
            catalogue, names, signals=signals, stage=stage, gaps=gaps, role=mentions.role, company=mentions.company
        ),
        follow_up=follow_up,
        language=language,
        warnings=warnings,
        model_version=_model_version(nlp),
        text=text,
        highlights=spans,
    )


def _strengths(sents, probs, labels, text: str) -> tuple[list[dict], dict[int, set[str]]]:
    """Sentences that praise the candidate, each with its aspect; and, per sentence, the aspects it praises."""
    cols = {lab.split(":", 1)[1]: j for j, lab in enumerate(labels) if lab.startswith("strength:")}
    out, praised = [], {}
    if not cols or not len(sents):
        return out, praised
    for i in np.flatnonzero((probs[:, list(cols.values())] >= STRENGTH_CUT).any(axis=1)).tolist():
        sent = sents[i]
        hits = {a: probs[i, j] for a, j in cols.items() if probs[i, j] >= STRENGTH_CUT}
        if hits:
            praised[i] = set(hits)
            out.append({"text": _tidy(_text_of(sent, text)), "aspect": max(hits, key=hits.get)})
    return out, praised


def _evidence(reason, sents, probs, labels, threshold, praised) -> list[int]:
    """Indices of the sentences that show a reason, best first."""
    j = labels.index(reason)
    order = np.argsort(-probs[:, j], kind="stable")
    gap_j = {lab: k for k, lab in enumerate(labels)}
    out = []
    for i in order:
        if probs[i, j] < threshold or len(out) >= MAX_EVIDENCE:
            break
        aspect_strength = f"strength:{reason}"
        if reason in praised.get(i, ()) and probs[i, gap_j[aspect_strength]] >= probs[i, j]:
            continue
        out.append(int(i))
    return out


def _highlights(doc, sents, praised: dict[int, set[str]], evidence_of: dict[int, list[str]]):
    """Spans to highlight: each evidence sentence once per reason it shows, each praising sentence as a strength.

    A sentence that both praises and shows a gap in contrasting clauses ("While we were impressed by your experience,
    we chose ...") has its praising clause highlighted as the strength and the other clauses as the gap.
    """
    cues = doc.spans.get("cues", [])
    out = []
    for i in sorted(set(praised) | set(evidence_of)):
        sent, kinds = sents[i], evidence_of.get(i, [])
        parts = clauses(sent) if i in praised and kinds else [sent]
        praising = [c for c in parts if any(q.label_ == "praise" for q in spans_in(cues, c))]
        if 0 < len(praising) < len(parts):
            out += [_span(c, "strength") for c in praising]
            out += [_span(c, r) for c in parts if c not in praising for r in kinds]
            continue
        if i in praised:
            out.append(_span(sent, "strength"))
        out += [_span(sent, r) for r in kinds]
    return out


def _span(sent, kind: str) -> tuple[int, int, str]:
    """A sentence's characters without its trailing whitespace, to highlight as `kind`."""
    return (sent.start_char, sent.start_char + len(sent.text.rstrip()), kind)


def _text_of(span, text: str) -> str:
    """span.text, cut from the doc's text (`text`) instead of joined from its tokens."""
    return text[span.start_char : span.end_char]


def _tidy(text: str) -> str:
    """A sentence as one line: hard-wrapped email lines joined."""
    return " ".join(text.split())


_versions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _model_version(nlp) -> str:
    # nlp.meta rebuilds its label lists on every access: read it once per pipeline. Weakly, so that a pipeline
    # dropped by pipeline.recycle_pipeline is freed with its vocabulary.
    if nlp not in _versions:
        _versions[nlp] = str(nlp.meta.get("version", ""))
    return _versions[nlp]
