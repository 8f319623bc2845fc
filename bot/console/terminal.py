"""Terminal plumbing: the rich console, where lines come from, how a session stops."""

from __future__ import annotations

import contextlib
import getpass
import io
import sys
from collections.abc import Awaitable, Callable
from typing import IO

import sympy
from rich.console import Console
from rich.text import Text

from bot.study.text import clean_text


class Stop(Exception):
    """Ends a session: `leave` (EOF, Ctrl-C) ends the console too; `quit` only the session."""

    def __init__(self, leave: bool) -> None:
        super().__init__("leave" if leave else "quit")
        self.leave = leave


def make_console(file: IO[str] | None = None) -> Console:
    """Colour on a terminal, plain text (no escape codes, whatever FORCE_COLOR says) when
    piped; emoji codes and highlighting off, so user text is shown exactly as typed."""
    stream = file or sys.stdout
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return Console(
        file=stream,
        force_terminal=None if tty else False,
        soft_wrap=not tty,  # piped: one line stays one line, for scripts that grep it
        highlight=False,
        emoji=False,
    )


class Lines:
    """Where answers come from: the terminal (with line editing) or, when stdin is not a
    terminal, the next line of the script. Ctrl-C while waiting ends the session at once;
    while the service works it lets the step finish first (see `on_sigint`)."""

    def __init__(self, out: Console, stream: IO[str] | None = None) -> None:
        self.out = out
        self.stream = stream or sys.stdin
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.before: Callable[[], Awaitable[None]] | None = None
        self.reading = False
        self.interrupted = False
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - line editing and history for input()

    async def ask(self, prompt: str) -> str:
        """The next line, cleaned (`clean_text`: what the service would store) and stripped;
        raises Stop(leave=True) at EOF or Ctrl-C."""
        if self.before is not None and not self.interrupted:
            await self.before()
        if self.interrupted:
            raise Stop(leave=True)
        label = Text(f"{prompt} › ", style="bold cyan")
        try:
            self.reading = True
            if self.interactive:
                line = clean_text(self.out.input(label))
            else:
                self.out.print(label, end="")
                line = self.stream.readline()
                if not line:
                    raise EOFError
                line = clean_text(line)
                self.out.print(Text(line.rstrip("\r\n")))  # the transcript shows the answer
        except (EOFError, KeyboardInterrupt):
            self.interrupted = True
            self.out.print()
            raise Stop(leave=True) from None
        finally:
            self.reading = False
        return line.strip()

    def on_sigint(self, signum: int, frame: object) -> None:
        """Ctrl-C: while waiting for a line, stop now; while a grade is being written, stop
        at the next prompt (the grade is one transaction, but why interrupt it); twice, now."""
        if self.reading or self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True


def tolerant_stdin() -> None:
    """Bytes on stdin that are not text (a pipe, a terminal in another encoding) become U+FFFD
    instead of raising UnicodeDecodeError (strict locales) or turning into lone surrogates
    (the C locale); the parser then says the answer could not be read as text."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")


def pretty(expr: sympy.Expr) -> str:
    """A formula as sympy's 2-D pretty print; ASCII art when the output cannot take unicode."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return sympy.pretty(expr, use_unicode=encoding in ("utf8", "utf8sig"))


def default_user() -> str:
    try:
        return getpass.getuser() or "me"
    except (OSError, KeyError):  # no login name in some containers
        return "me"
