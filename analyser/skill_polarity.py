"""Whether each skill the feedback names is a gap or was praised, from the clause it sits in.

"We were impressed by your Terraform, but we need more Kubernetes experience": Terraform is praised, Kubernetes a gap.
A skill named in a clause that neither praises nor names a gap ("thank you for the SQL exercise") is neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .components.reasons import rescale
from .features import clauses, spans_in
from .lexicons import skill_kinds

PRAISE_CUE = "praise"
NEGATION_CUE = "negation"


@dataclass(frozen=True)
class SkillPolarity:
    gaps: list[str]
    praised: list[str]
    kinds: dict[str, str]  # skill -> kind (tool, spoken_language, qualification, soft_skill, domain)

    @property
    def mentioned(self) -> list[str]:
        """Gaps and praised skills, in the order the text names them."""
        return [s for s in self.kinds if s in self.gaps or s in self.praised]


@lru_cache(maxsize=1)
def _kinds() -> dict[str, str]:
    return skill_kinds()


def skill_polarity(doc, clf, sents: list) -> SkillPolarity:
    """Each skill mention judged by its sentence's scores (the reasons component) and the praise cues of its clause.

    In a sentence that contrasts clauses ("impressed by your X, but we need Y"), a skill in a clause with a praise
    cue is praised and one in another clause takes the sentence's gap; otherwise the sentence's scores decide.
    `sents` is list(doc.sents), which the caller has already made.
    """
    spans = list(doc.spans.get("skills", []))
    if not spans:
        return SkillPolarity([], [], {})
    cues = list(doc.spans.get("cues", []))
    starts = [s.start for s in sents]
    probs = doc._.sent_scores
    labels = clf.labels_
    gap_cols = [j for j, lab in enumerate(labels) if ":" not in lab]
    praise_cols = [j for j, lab in enumerate(labels) if lab.startswith("strength:")]
    thresholds = np.array([clf.thresholds_.get(labels[j], 0.5) for j in gap_cols])
    verdict: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    of_sentence: dict[int, tuple] = {}  # a sentence's gap and praise scores and clauses, for its other skills
    for span in spans:
        name = span.id_ or span.text
        kinds.setdefault(name, _kinds().get(span.label_, "tool"))
        i = int(np.searchsorted(starts, span.start, side="right")) - 1
        if i not in of_sentence:
            p = probs[i]
            gap = float(np.max(rescale(p[gap_cols], thresholds))) if gap_cols else 0.0
            praise = float(np.max(p[praise_cols])) if praise_cols else 0.0
            of_sentence[i] = (gap, praise, clauses(sents[i]))
        gap, praise, parts = of_sentence[i]
        if len(parts) > 1:
            part = next(c for c in parts if c.start <= span.start < c.end)
            if _praises(spans_in(cues, part)):
                verdict.setdefault(name, set()).add("praised")
            elif gap >= 0.5:
                verdict.setdefault(name, set()).add("gap")
            elif praise >= 0.5 and not any(_praises(spans_in(cues, c)) for c in parts if c is not part):
                verdict.setdefault(name, set()).add("praised")
        elif gap >= 0.5 and gap >= praise:
            verdict.setdefault(name, set()).add("gap")
        elif praise >= 0.5 or _praises(spans_in(cues, sents[i])):
            verdict.setdefault(name, set()).add("praised")
    # a skill that is a gap anywhere is a gap: "your Python basics were good, but we need advanced Python"
    gaps = [s for s in kinds if "gap" in verdict.get(s, ())]
    praised = [s for s in kinds if verdict.get(s) == {"praised"}]
    return SkillPolarity(gaps, praised, kinds)


def _praises(cues) -> bool:
    """A praise cue, not negated, and not a construction naming what others had more of."""
    labels = {c.label_ for c in cues}
    return PRAISE_CUE in labels and NEGATION_CUE not in labels and not any(lab.startswith("rule:") for lab in labels)
