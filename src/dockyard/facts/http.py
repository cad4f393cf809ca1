"""What an HTTP answer's body says, in one line (pure): a health check's last answer, shown in
the error line of a deploy that failed it.

    body_excerpt(b"<html><head><title>Oops</title></head><body><h1>Down</h1></body></html>")
    # 'Down'
"""

from __future__ import annotations

import html
import re

EXCERPT = 80  # characters of a body shown in an error line

_HIDDEN = re.compile(r"<(head|script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def body_excerpt(body: bytes, limit: int = EXCERPT) -> str:
    """The body's text on one line, at most `limit` characters (cut at a word, with `…`): of
    markup, the text a browser shows (its <title> when it shows none), never the tags; JSON
    and plain text as they are."""
    text = body.decode(errors="replace")
    if text.lstrip().startswith("<"):
        shown = _TAG.sub(" ", _HIDDEN.sub(" ", text))
        if not shown.split():
            title = _TITLE.search(text)
            shown = _TAG.sub(" ", title.group(1)) if title else ""
        text = html.unescape(shown)
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return _cut(line, limit)


def _cut(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    head = line[: limit - 1]
    at_word = head.rsplit(" ", 1)[0] if " " in head else head
    return at_word.rstrip(" ,;:") + "…"
