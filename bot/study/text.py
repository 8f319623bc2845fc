"""Text as it crosses into the service: the one rule for NUL, control characters and bytes that
were not text.

People type (or paste, or pipe) characters no database stores and no reader sees: PostgreSQL
refuses a NUL in text, and a lone surrogate (what Python makes of bytes that were not UTF-8,
or what a JSON ``\\ud800`` escape gives) cannot be encoded at all. `StudyService` cleans every
string a person gave it (answers, names, setting values, names to look up) with `clean_text`,
and stores exactly what it then read:

- NUL and the other C0 control characters except tab, newline and carriage return, DEL and the
  C1 controls (U+0080-U+009F) are removed: invisible, never meant, and a terminal escape or a
  NUL must not decide what an answer or a name is.
- A lone surrogate becomes U+FFFD, the replacement character (one per code unit; a split
  surrogate pair is joined into its character first). Removing it would silently change
  ``2x<bad byte>`` into ``2x``; U+FFFD keeps a visible mark where the bad byte was, and the
  answer parser refuses it with a clear message ("could not be read as text").

Deck files are different: a teacher can fix the file, so `bot.study.decks` refuses whatever this
would change, naming its line (`first_unclean`), rather than importing something else.
"""

from __future__ import annotations

import re

# what `clean_text` changes: C0 controls but \t \n \r, DEL and C1 controls, any surrogate
_UNCLEAN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` as the service reads and stores it (see the module docstring); returns `text`
    itself when there is nothing to clean, so the common case costs one regex search."""
    if _UNCLEAN.search(text) is None:
        return text
    text = _CONTROLS.sub("", text)
    if _SURROGATES.search(text) is not None:
        # UTF-16 with surrogatepass joins a split pair; its decoder replaces each lone unit
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def first_unclean(text: str) -> int | None:
    """The index of the first character `clean_text` would remove or replace, or None."""
    match = _UNCLEAN.search(text)
    return None if match is None else match.start()


def describe(ch: str) -> str:
    """What a character `clean_text` would change is, in words, for an error message."""
    if "\ud800" <= ch <= "\udfff":
        return f"a character that could not be read as text (U+{ord(ch):04X}, not valid UTF-8)"
    return f"the control character U+{ord(ch):04X}"
