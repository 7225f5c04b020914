"""Signals (door open, feedback offered/declined) and the stage reached, from the cue patterns' matches."""

from __future__ import annotations

from bisect import bisect_right

from spacy.tokens import Doc

from .taxonomy import load_taxonomy

SIGNALS = load_taxonomy().signals
# When several stages are mentioned, the furthest one counts: the taxonomy lists them in order, "unknown" last.
STAGE_ORDER = tuple(s for s in load_taxonomy().stages if s != "unknown")
# "we will not be inviting you to interview" mentions a stage the candidate did not reach.
_NOT_REACHED = frozenset(
    {"invite", "inviting", "progress", "progressing", "progressed", "shortlist", "move", "moving", "invited", "proceed"}
)


def _sentence_of(span):
    return span.sent if span.doc.has_annotation("SENT_START") else span.doc[:]


def sentence_starts(doc: Doc) -> list[int]:
    """The first token of each sentence ([] when the doc has no sentence boundaries)."""
    return [s.start for s in doc.sents] if doc.has_annotation("SENT_START") else []


def sentence_bounds(span, starts: list[int]) -> tuple[int, int]:
    """The token offsets of `_sentence_of(span)`, looked up in the doc's sentence starts (no walk over tokens).

    As spaCy's Span.sent: the sentence that holds the span's first token (a cue across a boundary gets that one only).
    """
    if not starts:
        return 0, len(span.doc)
    i = bisect_right(starts, span.start)
    return starts[i - 1], starts[i] if i < len(starts) else len(span.doc)


SIGNAL_CUT = 0.5


def detect_signals(doc: Doc) -> dict[str, bool]:
    """Signals from the classifier's sentence labels ('signal:<name>' scores in doc.cats); cue rules for older models."""
    if any(f"signal:{s}" in doc.cats for s in SIGNALS):
        return {s: doc.cats.get(f"signal:{s}", 0.0) >= SIGNAL_CUT for s in SIGNALS}
    found = {s: False for s in SIGNALS}
    for sent_signals in rule_signals(doc).values():
        for s in sent_signals:
            found[s] = True
    return found


def rule_signals(doc: Doc) -> dict[int, set[str]]:
    """Signals the cue patterns show, by the start token of their sentence (weak labels for older training data)."""
    cues = doc.spans.get("cues", [])
    declined_sents = {_sentence_of(c).start for c in cues if c.label_ == "feedback_declined"}
    negated_sents = {_sentence_of(c).start for c in cues if c.label_ == "negation"}
    found: dict[int, set[str]] = {}
    for cue in cues:
        if cue.label_ not in SIGNALS:
            continue
        sent_start = _sentence_of(cue).start
        if cue.label_ == "feedback_offered" and sent_start in declined_sents:
            continue  # "we cannot provide further feedback"
        if cue.label_ == "door_open" and sent_start in negated_sents and _negates(cue):
            continue  # "we will not keep your details on file"
        found.setdefault(sent_start, set()).add(cue.label_)
    return found


def _negates(cue) -> bool:
    sent = _sentence_of(cue)
    before = doc_words(sent.doc[sent.start : cue.start])
    return any(w in {"not", "n't", "no", "never", "unable", "cannot"} for w in before[-6:])


def doc_words(span) -> list[str]:
    return [t.lower_ for t in span if not t.is_space]


def detect_stage(doc: Doc, starts: list[int] | None = None, words: list | None = None) -> str:
    """The furthest stage the cues show, skipping stages the text says were not reached.

    `starts` (sentence_starts) and `words` (components.words.doc_words) spare a caller that has them a walk over tokens.
    """
    best = -1
    starts = sentence_starts(doc) if starts is None else starts
    for cue in doc.spans.get("cues", []):
        if not cue.label_.startswith("stage:"):
            continue
        stage = cue.label_.split(":", 1)[1]
        first = sentence_bounds(cue, starts)[0]
        if words is None:
            before = set(doc_words(doc[first : cue.start]))
        else:
            before = {w.lower for w in words[first : cue.start] if not w.is_space}
        if (
            stage != "application"
            and before & _NOT_REACHED
            and before & {"not", "n't", "unable", "no", "won't", "unfortunately"}
        ):
            continue
        best = max(best, STAGE_ORDER.index(stage))
    return STAGE_ORDER[best] if best >= 0 else "unknown"
