"""Stored text made harmless for every place that shows it: terminal, Rich/Textual, Mermaid,
Markdown, JSON.

Everything in a store came from whoever could send spans, so agent names, ids, messages and
errors are untrusted text. Each output has its own way to be abused: a terminal obeys escape
sequences (clear the screen, rewrite the clipboard with OSC 52, draw a link with OSC 8), Rich and
Textual read ``[...]`` as markup (``[/]`` crashes the debugger, ``[link=...]`` makes a live
link), Mermaid obeys a directive or a ``click`` line after a newline, Markdown lets text close
its code fence and run HTML. Every renderer takes stored text through one function here, named
for its destination, so that the rule for each lives in one place and is tested against one
corpus (``tests/replay/test_hostile_rendering.py``). Nothing here imports a third-party package.
"""

from __future__ import annotations

import html
import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
"""Characters a terminal acts on or that reorder what it shows: C0 controls but tab and
newline, DEL, C1 controls (``\\x9b`` is a CSI on its own), and the bidirectional marks,
embeddings, overrides and isolates, plus Unicode's line and paragraph separators."""
_CONTROL_OR_BREAK = re.compile(_CONTROL.pattern[:-1] + "\t\n]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """Text for a terminal, several lines allowed: controls shown as ``\\x1b``, ``\\u202e``."""
    return _CONTROL.sub(_visible, text)


def one_line(text: str) -> str:
    """Text for one line of a terminal: newlines and tabs are shown escaped as well."""
    return _CONTROL_OR_BREAK.sub(_visible, text)


_MARKUP_OPEN = re.compile(r"(\\*)\[")
_MARKUP_TAG_START = re.compile(r"[a-zA-Z#/@$]")


def markup(text: str) -> str:
    """Text to put inside Rich or Textual markup (``notify``, ``Static("...")``, table cells
    given as strings): every ``[`` is escaped with a backslash, so nothing in it is read as a
    tag, and controls are shown as for a terminal. Prefer a ``Text`` object built from
    :func:`terminal` where one can be used; this is for the places that only take markup.

    Both parsers read ``\\[`` as a plain ``[`` and keep the backslashes before it, except
    before a tag, where Rich and Textual count them differently; there they are shown as
    ``\\x5c`` so that the text reads the same in both."""

    def escape(match: re.Match[str]) -> str:
        run = match.group(1)
        after = text_escaped[match.end() : match.end() + 1]
        if run and _MARKUP_TAG_START.match(after):
            run = "\\x5c" * len(run)
        return run + "\\["

    text_escaped = terminal(text)
    return _MARKUP_OPEN.sub(escape, text_escaped)


_MERMAID_CODES = {
    "#": "#35;",
    ";": "#59;",
    "%": "#37;",
    "<": "#60;",
    ">": "#62;",
    '"': "#quot;",
    "{": "#123;",
    "}": "#125;",
    "`": "#96;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_CODES)) + "]")


def mermaid(text: str) -> str:
    """Text for one Mermaid message, note, participant alias or comment.

    Mermaid ends a statement at a newline (the next line could be ``click ... javascript:`` or a
    ``%%{init}%%`` directive), reads ``;`` as a statement end and ``#...;`` as an entity, and
    renders labels as HTML; so whitespace runs become one space, and the characters that start
    any of these are written as Mermaid's own entity codes (shown as themselves in the diagram).
    Controls are shown escaped first."""
    flat = one_line(" ".join(text.split()))
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_CODES[m.group()], flat)


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~])")
"""What opens emphasis, code, links and images, tables and strikethrough anywhere in a line
(``(``, ``)`` and ``!`` only matter next to an escaped ``[``; ``<`` and ``&`` become entities)."""
_MARKDOWN_BLOCK = re.compile(r"^(\s*\d*)([#+=.)-])", re.MULTILINE)
"""What makes a line a heading, list item or setext underline when it starts the line."""


def markdown(text: str) -> str:
    """Text for Markdown prose: HTML escaped (no tag or entity of the sender's survives), the
    characters that open emphasis, code, links, images and tables backslash-escaped, and a
    heading or list marker at the start of a line escaped too, so it reads as itself; controls
    are shown escaped."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", html.escape(terminal(text), quote=False))
    return _MARKDOWN_BLOCK.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def markdown_inline(text: str) -> str:
    """Text for one line of Markdown prose (a heading, a list item): line breaks escaped too."""
    return markdown(one_line(text))


def markdown_code(text: str, info: str = "text") -> list[str]:
    """A fenced code block holding ``text`` verbatim (controls shown escaped).

    The fence is one backtick longer than the longest run of backticks in the text, so no line
    of it can close the block early, and text inside a code block is never read as HTML."""
    body = terminal(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", *body.splitlines(), fence]


def markdown_code_span(text: str) -> str:
    """Inline code (an id, an error type): delimited by more backticks than it contains."""
    body = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_document(text: str) -> str:
    """A JSON document (written with ``ensure_ascii=False``) safe to print on a terminal.

    The JSON encoder already escapes C0 controls; DEL, C1 controls and bidirectional overrides
    it writes as they are, and they only ever occur inside strings, where ``\\uXXXX`` is the
    same value."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
