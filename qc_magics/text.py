"""Text from outside (cloud file names, project names, the service's error messages) made safe to
print: one function, used by every report and every face, so a name holding ESC, BEL, a newline or
a bidi override (U+202E, which reverses what follows) shows as what it is and cannot move the
cursor, ring the bell, forge a second report line or disguise `gpj.exe` as `exe.jpg`.

>>> printable("evil\\x1b[2Jname\\u202e")
'evil\\\\x1b[2Jname\\\\u202e'
"""
from __future__ import annotations

import unicodedata

# Bidi controls are Cf already; named for the fast path, where no category lookup is done.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Controls (ESC, BEL, CR, NEL...), invisible format characters (bidi, zero-width), line and
# paragraph separators, and lone surrogates (undecodable file names) that would make print() fail.
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def needs_escape(c: str) -> bool:
    """Whether one character would be acted on, or be invisible, in a terminal."""
    return c in BIDI or unicodedata.category(c) in _UNSAFE


def has_unsafe(text: str) -> bool:
    """Whether any character of `text` needs_escape: the fast path of printable, for checks."""
    if text.isprintable() and not BIDI.intersection(text):
        return False   # isprintable is False for every Cc, Cf, Z*, Cs: nothing to look up
    return any(needs_escape(c) for c in text)


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """`text` with every character a terminal would act on written as its escape (\\n, \\x1b,
    \\u202e): what shows is what is there, on one line unless `keep_newlines`."""
    text = str(text)
    if not has_unsafe(text):
        return text   # the common case, fast
    out = []
    for c in text:
        if c == "\n" and keep_newlines or not needs_escape(c):
            out.append(c)
        elif c in _NAMED:
            out.append(_NAMED[c])
        else:
            code = ord(c)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)
