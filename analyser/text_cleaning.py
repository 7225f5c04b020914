"""Turn what a user pastes (plain text, HTML, a saved .eml, a reply chain) into the feedback text to analyse.

Quoted replies, forwarded headers, signatures and legal disclaimers are not feedback: they are removed here so that
no reason or evidence can come from them.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field

from .config import MAX_CHARS

_HTML = re.compile(r"<\s*(html|body|p|div|br|table|td|span|a|font|b|strong|ul|li|h[1-6])\b[^>]*>", re.I)
_EMAIL_MARKERS = re.compile(
    r"^(>|-{2,}\s*(forwarded|original) message|begin forwarded message|on .{4,200}wrote:\s*$|from:\s|sent:\s)",
    re.I | re.M,
)
_FORWARD_LINE = re.compile(
    r"^\s*-{2,}\s*(forwarded|original) message\s*-*\s*$|^\s*begin forwarded message:?\s*$", re.I | re.M
)
_HEADER_LINE = re.compile(r"^\s*(from|sent|date|to|cc|bcc|subject|reply-to)\s*:.*$", re.I | re.M)
_QUOTE_PREFIX = re.compile(r"^\s*>+ ?", re.M)
_WROTE_LINE = re.compile(r"^\s*on .{4,200}wrote:\s*$", re.I | re.M)
_DISCLAIMER = re.compile(
    r"^[^\n]*\b(this (e-?mail|message|communication)( and any (attachments?|files?))?[^\n]{0,40}\b"
    r"(is|are|may be) (strictly )?(confidential|privileged|intended))[^\n]*$(\n[^\n]+$)*",
    re.I | re.M,
)
_MANY_BLANKS = re.compile(r"\n[ \t]*\n(\s*\n)+")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Horizontal whitespace and blank-line runs longer than this say nothing, and line-anchored patterns (`^\s*...`)
# would rescan them from every line start: they are collapsed before any pattern runs.
_LONG_SPACE = re.compile(r"[ \t\f\v]{64,}")
_LONG_NEWLINES = re.compile(r"\n(?:[ \t\f\v]*\n){2,}")
# spaCy's tokenizer peels affixes off a token one at a time, re-slicing it: a run with no spaces costs time quadratic
# in its length ("😀" * 4000 took 3 s). No word is this long, so longer runs are cut into pieces of this size.
MAX_RUN = 64
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")
_TAG = re.compile(r"<[^<>]{0,2000}>")
_INVISIBLE = re.compile(r"<(script|style|head|title)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_WORD = re.compile(r"\w+")
_BLOCK_TAGS = ("p>", "p ", "br", "di", "/p", "li", "tr", "h1", "h2", "h3", "/h")  # first letters of a tag: a new line
MIN_TOP_WORDS = 12
# Words that show a message is itself the decision or feedback (not, say, the candidate's "thanks for letting me know")
_DECISION = re.compile(
    r"\b(unfortunately|regret|not (?:been )?(?:successful|selected|shortlisted|progress\w*)|other candidates?|another "
    r"candidate|decided|decision|(?:not|won't) (?:be )?(?:moving|move) forward|unable to offer|we (?:chose|have chosen|went|'ve gone|have gone)|"
    r"feedback|strengths?|areas? (?:for|to) (?:develop|improve))",
    re.I,
)


@dataclass
class CleanText:
    text: str
    warnings: list[str] = field(default_factory=list)


def looks_like_html(text: str) -> bool:
    return bool(_HTML.search(text[:5000]))


def html_to_text(html: str) -> str:
    """The text of an HTML page, laid out as a browser would (inscriptis); tags stripped when that loses the text."""
    from inscriptis import get_text  # only needed for HTML input

    text = get_text(html)
    # lxml stops building the tree past a nesting depth of about 255 ("<div>" * 50000): inscriptis then returns little
    # or nothing. Plain tag stripping keeps the words; it is used when it finds clearly more of them.
    stripped = strip_tags(html)
    if len(_WORD.findall(text)) < len(_WORD.findall(stripped)) // 2:
        return stripped
    return text


def strip_tags(html: str) -> str:
    """HTML as text without layout: scripts and styles dropped, tags removed, entities decoded."""
    import html as html_lib

    text = _INVISIBLE.sub(" ", html)
    text = _TAG.sub(lambda m: "\n" if m.group(0)[1:3].lower() in _BLOCK_TAGS else " ", text)
    return html_lib.unescape(text)


def fix_surrogates(text: str) -> tuple[str, int]:
    """The text with surrogate pairs joined and lone surrogates (left by a bad decode) replaced by U+FFFD; how many."""
    if not _SURROGATE.search(text):
        return text, 0
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return fixed, fixed.count("\ufffd") - text.count("\ufffd")


def bound_work(text: str) -> str:
    """Whitespace runs collapsed and no-space runs cut to MAX_RUN characters, so later work is linear in length."""
    text = _LONG_SPACE.sub(" ", text)
    text = _LONG_NEWLINES.sub("\n\n", text)
    return _LONG_RUN.sub(lambda m: " ".join(_pieces(m.group(0))), text)


def _pieces(run: str) -> list[str]:
    return [run[i : i + MAX_RUN] for i in range(0, len(run), MAX_RUN)]


def normalise_raw(text: str, *, max_chars: int = MAX_CHARS) -> str:
    """The raw text made safe for pattern matching (the follow-up's name and employer are found in it): surrogates
    fixed, line ends unified, runs bounded, at most a few times max_chars long."""
    text = fix_surrogates(text)[0].replace("\r\n", "\n").replace("\r", "\n")
    return bound_work(text[: 4 * max_chars])


def eml_to_text(raw: bytes) -> str:
    """The text of a saved email: its plain-text part, else its HTML part converted to text."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        raise ValueError("the email has no text or HTML part")
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # a charset Python does not know ("x-unknown"), or bytes that do not fit it
        payload = part.get_payload(decode=True) or b""
        try:
            content = payload.decode("utf-8")
        except UnicodeDecodeError:
            content = payload.decode("cp1252", errors="replace")
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def strip_email_furniture(text: str) -> str:
    """Drop forwarded/reply headers, quoted earlier messages, signatures and disclaimers."""
    if _EMAIL_MARKERS.search(text):
        text = _split_thread(text)
    text = _DISCLAIMER.sub("", text)
    return text


def _split_thread(text: str) -> str:
    from mailparser_reply import EmailReplyParser  # only for texts that look like threads

    replies = EmailReplyParser(languages=["en"]).read(text).replies
    if not replies:
        return text
    kept = []
    for i, reply in enumerate(replies):
        body = _FORWARD_LINE.sub("", reply.body or "")
        body = _HEADER_LINE.sub("", _WROTE_LINE.sub("", body))
        body = _QUOTE_PREFIX.sub("", body).strip()
        if not body:
            continue
        forwarded = bool(_HEADER_LINE.search(reply.headers or "")) and not _WROTE_LINE.search(reply.content or "")
        # The top message is the feedback, unless it is a short note or the candidate's own reply over the quoted
        # decision: then the first earlier message is the feedback too.
        top = " ".join(kept)
        if i == 0 or forwarded or (i == 1 and (len(top.split()) < MIN_TOP_WORDS or not _DECISION.search(top))):
            kept.append(body)
    return "\n\n".join(kept) if kept else text


def clean(text: str, *, max_chars: int = MAX_CHARS) -> CleanText:
    """Normalise raw feedback text; warnings say what was changed that a user should know about."""
    warnings = []
    text, bad = fix_surrogates(text)
    if bad:
        plural = "s" if bad > 1 else ""
        warnings.append(f"{bad:,} invalid character{plural} (left by a bad decode) replaced with '\ufffd'")
    if looks_like_html(text):
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = bound_work(text)
    text = strip_email_furniture(text)
    text = _MANY_BLANKS.sub("\n\n", text).strip()
    if len(text) > max_chars:
        warnings.append(f"text is {len(text):,} characters; analysed the first {max_chars:,}")
        text = text[:max_chars]
    return CleanText(text, warnings)
