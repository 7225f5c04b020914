"""A drop-in for spaCy's SpanRuler that writes the same doc.spans[key], several times faster.

SpanRuler runs every token pattern through one Matcher, whose cost grows with patterns x tokens even when a pattern
cannot match. Here a token pattern made only of literal words ({"LOWER": "x"} or {"LOWER": {"IN": [...]}}, optional
tokens included) is expanded into phrases for a PhraseMatcher (a trie lookup per token), with `IS_SENT_START`
conditions checked on the few matches; every other pattern keeps a Matcher of its own, run only on a doc that holds
one of the words each of its mandatory tokens allows. The spans (start, end, label, id) and their order are those
SpanRuler gives: the same set of Span objects, sorted the same way. Patterns are saved in SpanRuler's JSONL format
(as patterns.jsonl; a SpanRuler's own file, "patterns", is read too).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import srsly
from spacy.attrs import LOWER, ORTH, SENT_START
from spacy.errors import MatchPatternError
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.schemas import validate_token_pattern
from spacy.tokens import Doc, Span

# A literal pattern expands into the product of its tokens' alternatives; past this many it stays a Matcher pattern.
MAX_PHRASES = 5000
_LITERAL_ATTRS = {"LOWER": "LOWER", "ORTH": "ORTH", "TEXT": "ORTH"}
_ATTR_IDS = {"LOWER": LOWER, "ORTH": ORTH}


def _alternatives(value) -> list[str] | None:
    """The strings a literal token value allows ("x" or {"IN": [...]}), or None when it is not literal."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
        return list(dict.fromkeys(value["IN"]))
    return None


def literal_phrases(pattern: list[dict]) -> tuple[str, list[tuple[str, ...]], dict[int, bool]] | None:
    """(attribute, phrases, {token offset: IS_SENT_START}) when a token pattern matches exactly those phrases.

    Only patterns whose every token tests one attribute (LOWER, or ORTH/TEXT) against literal strings, optionally
    with "OP": "?" and a boolean IS_SENT_START, qualify; None for the others.
    """
    attr, slots, sent_start = None, [], {}
    for spec in pattern:
        keys = set(spec) - {"OP", "IS_SENT_START"}
        if len(keys) != 1 or spec.get("OP", "?") != "?":
            return None
        (key,) = keys
        this = _LITERAL_ATTRS.get(key.upper())
        values = _alternatives(spec[key])
        if this is None or values is None or (attr is not None and this != attr):
            return None
        if "IS_SENT_START" in spec:
            if "OP" in spec or not isinstance(spec["IS_SENT_START"], bool):
                return None  # the offset of a condition after an optional token would vary
            sent_start[len(slots)] = spec["IS_SENT_START"]
        attr = this
        if this == "LOWER":
            values = [v for v in values if v.lower() == v]  # the lower-case form of a token never equals "Excel"
        slots.append((values, "OP" in spec))
    if sent_start and any(optional for _, optional in slots):
        return None
    count = 1
    for values, optional in slots:
        count *= len(values) + optional
    if not slots or count > MAX_PHRASES:
        return None
    choices = [[*([(v,) for v in values]), *([()] if optional else [])] for values, optional in slots]
    phrases = [sum(combo, ()) for combo in itertools.product(*choices)]
    return attr, list(dict.fromkeys(p for p in phrases if p)), sent_start


def required_words(pattern: list[dict]) -> list[frozenset[str]]:
    """For each token the pattern cannot skip that tests LOWER/ORTH/TEXT literally, the lower-case words it allows.

    A doc can match the pattern only if it holds one word of every set: a necessary condition, checked before the
    pattern's Matcher runs.
    """
    out = []
    for spec in pattern:
        if spec.get("OP") not in (None, "+"):
            continue
        for key, value in spec.items():
            values = _alternatives(value) if key.upper() in _LITERAL_ATTRS else None
            if values is not None:
                out.append(frozenset(v.lower() for v in values))
    return out


def _most_tokens(spec: dict) -> int | None:
    """The most tokens one pattern token can match (an upper bound), None when unbounded ("*", "+", "{n,}")."""
    op = spec.get("OP")
    if op in (None, "?", "!"):
        return 1
    if isinstance(op, str) and op.startswith("{") and op.endswith("}"):
        parts = op[1:-1].split(",")
        if len(parts) == 1 and parts[0].strip().isdigit():
            return int(parts[0])
        if len(parts) == 2 and parts[1].strip().isdigit():
            return int(parts[1])
    return None


def match_window(pattern: list[dict]) -> tuple[frozenset[str] | None, int | None]:
    """(words, most): what bounds where a token pattern can match in a doc.

    `words` are the lower-case words its first token allows when that token is a literal one it cannot skip (every
    match starts at one of them), else None; `most` is the most tokens a match can span, None when unbounded.
    """
    lengths = [_most_tokens(spec) for spec in pattern]
    most = None if None in lengths else sum(lengths)
    first = pattern[0] if pattern else {}
    words = None
    if first.get("OP") is None:
        for key, value in first.items():
            values = _alternatives(value) if key.upper() in _LITERAL_ATTRS else None
            if values is not None:
                words = frozenset(v.lower() for v in values)
                break
    return words, most


class SpanMatcher:
    """Token and phrase patterns to doc.spans[spans_key], as SpanRuler(spans_key=..., overwrite=True) does."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str, phrase_matcher_attr: str = "LOWER", validate=True):
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.phrase_matcher_attr = phrase_matcher_attr
        self.validate = validate
        self.clear()

    def clear(self) -> None:
        self._patterns: list[dict] = []
        self._phrase = {attr: PhraseMatcher(self.nlp.vocab, attr=attr) for attr in ("LOWER", "ORTH")}
        if self.phrase_matcher_attr not in self._phrase:
            self._phrase[self.phrase_matcher_attr] = PhraseMatcher(self.nlp.vocab, attr=self.phrase_matcher_attr)
        self._targets: dict[int, tuple[int, int, dict[int, bool]]] = {}  # match key -> label, id, sentence starts
        # Matcher patterns behind their word sets, with what bounds their matches: the lower-case ids their first
        # token allows (or None) and the most tokens a match spans (or None)
        self._guarded: list[tuple[list[frozenset[int]], Matcher, frozenset[int] | None, int | None]] = []
        self._guard_bits: tuple[dict[int, int], list[int]] | None = None  # see _guards

    @property
    def key(self) -> str:
        return self.spans_key

    @property
    def patterns(self) -> list[dict]:
        """The patterns as added, one dict per pattern (what SpanRuler.patterns gives)."""
        return list(self._patterns)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({p["label"] for p in self._patterns}))

    def add_patterns(self, patterns: list[dict]) -> None:
        """Add SpanRuler-style patterns: {"label", "pattern": str | list[dict], "id" (optional)}."""
        strings = self.nlp.vocab.strings
        for entry in patterns:
            label, span_id, pattern = entry["label"], entry.get("id", ""), entry["pattern"]
            stored = {"label": label, "pattern": pattern}
            if "id" in entry:
                stored["id"] = span_id
            n = len(self._patterns)
            self._patterns.append(stored)
            key = f"{self.name}:{n}"
            target = (strings.add(label), strings.add(span_id))
            if isinstance(pattern, str):
                self._targets[strings.add(key)] = (*target, {})
                self._phrase[self.phrase_matcher_attr].add(key, [self.nlp.make_doc(pattern)])
                continue
            if self.validate:
                errors = validate_token_pattern(pattern)
                if errors:
                    raise MatchPatternError(key, {0: errors})
            literal = literal_phrases(pattern)
            if literal is not None:
                attr, phrases, sent_start = literal
                self._targets[strings.add(key)] = (*target, sent_start)
                docs = [Doc(self.nlp.vocab, words=list(p)) for p in phrases]
                if docs:
                    self._phrase[attr].add(key, docs)
                continue
            self._targets[strings.add(key)] = (*target, {})
            words = [frozenset(strings.add(w) for w in group) for group in required_words(pattern)]
            matcher = Matcher(self.nlp.vocab, validate=self.validate)
            matcher.add(key, [pattern])
            lead, most = match_window(pattern)
            lead_ids = None if lead is None else frozenset(strings.add(w) for w in lead)
            self._guarded.append((words, matcher, lead_ids, most))
            self._guard_bits = None

    def match(self, doc: Doc) -> list[Span]:
        """The spans SpanRuler.match gives for this doc: deduplicated, sorted."""
        found = []
        for matcher in self._phrase.values():
            if len(matcher):
                found.extend(matcher(doc))
        if self._guarded:
            lowers = doc.to_array(LOWER).tolist() if len(doc) else []
            word_bits, needs = self._guards()
            held = 0  # a bit for each word set that holds a word of the doc
            for word in set(lowers).intersection(word_bits):
                held |= word_bits[word]
            spread = None  # word -> (first, last) token offset, made when a pattern with a first word needs it
            for need, (_, matcher, lead_ids, most) in zip(needs, self._guarded):
                if held & need == need:  # every word set of the pattern holds a word of the doc
                    if lead_ids is not None and spread is None:
                        spread = _first_and_last(lowers)
                    found.extend(self._run(matcher, doc, spread, lead_ids, most))
        spans = set()
        starts = None  # token.is_sent_start is True where a token's SENT_START is positive: read once, when needed
        for m_id, start, end in found:
            label, span_id, sent_start = self._targets[m_id]
            if start == end:
                continue
            if sent_start:
                if starts is None:
                    starts = (doc.to_array(SENT_START).astype(np.int64) > 0).tolist()
                if any(starts[start + k] != want for k, want in sent_start.items()):
                    continue
            spans.add(Span(doc, start, end, label=label, span_id=span_id))
        return sorted(spans)

    def _guards(self) -> tuple[dict[int, int], list[int]]:
        """The guarded patterns' word sets as bits: for each word, the bits of the sets that hold it; for each
        pattern, the bits of its sets (a doc can match it only if it holds a word of each)."""
        if self._guard_bits is None:
            word_bits: dict[int, int] = {}
            needs, bit = [], 0
            for words, _, _, _ in self._guarded:
                need = 0
                for group in words:
                    for word in group:
                        word_bits[word] = word_bits.get(word, 0) | (1 << bit)
                    need |= 1 << bit
                    bit += 1
                needs.append(need)
            self._guard_bits = (word_bits, needs)
        return self._guard_bits

    @staticmethod
    def _run(matcher: Matcher, doc: Doc, spread: dict | None, lead_ids: frozenset[int] | None, most: int | None):
        """matcher(doc), run only over the tokens a match can cover: from the first place its first word occurs to
        `most` tokens past the last (the Matcher makes two Token objects per token it walks). The same matches.
        `spread` gives each word's first and last token offset (see _first_and_last)."""
        if lead_ids is None:
            return matcher(doc)
        places = [spread[w] for w in lead_ids.intersection(spread)]
        if not places:
            return []
        start = min(first for first, _ in places)
        last = max(last for _, last in places)
        end = len(doc) if most is None else min(len(doc), last + most)
        if start == 0 and end == len(doc):
            return matcher(doc)
        return [(m_id, a + start, b + start) for m_id, a, b in matcher(doc[start:end])]

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[self.spans_key] = self.match(doc)
        return doc

    # -- serialisation: SpanRuler's layout -------------------------------------------------------------------------
    def to_disk(self, path, *, exclude=()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "patterns.jsonl", self._patterns)

    def from_disk(self, path, *, exclude=()):
        self.clear()
        path = Path(path)
        file = path / "patterns.jsonl"
        # "patterns": what a SpanRuler saved (a model whose config was changed to name this component)
        self.add_patterns(list(srsly.read_jsonl(file if file.exists() else path / "patterns")))
        return self

    def to_bytes(self, *, exclude=()) -> bytes:
        return srsly.msgpack_dumps({"patterns": self._patterns})

    def from_bytes(self, data: bytes, *, exclude=()):
        self.clear()
        self.add_patterns(srsly.msgpack_loads(data)["patterns"])
        return self


def _first_and_last(words: list[int]) -> dict[int, tuple[int, int]]:
    """Each word's first and last token offset in a doc (its LOWER ids in order)."""
    out: dict[int, tuple[int, int]] = {}
    for i, w in enumerate(words):
        first = out.get(w)
        out[w] = (i, i) if first is None else (first[0], i)
    return out


@Language.factory(
    "analyser_span_matcher",
    assigns=["doc.spans"],
    default_config={"spans_key": "ruler", "phrase_matcher_attr": "LOWER", "validate": True},
)
def make_span_matcher(nlp: Language, name: str, spans_key: str, phrase_matcher_attr: str, validate: bool):
    return SpanMatcher(nlp, name, spans_key=spans_key, phrase_matcher_attr=phrase_matcher_attr, validate=validate)
