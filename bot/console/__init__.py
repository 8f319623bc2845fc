"""The terminal front-end: `derivbot console`, and `derivbot run` when there is no Discord token.

A thin adapter like the cogs: every gesture is one `StudyService` call on the same database, so
what a student does here counts on Discord too (and the other way round). Problems are shown as
sympy's unicode pretty print; the rendered PNGs are saved to a folder whose path is printed.

Input is one line per prompt: typed at a terminal, or read from a pipe, so a session can be
scripted (`printf '2x\\nquit\\n' | derivbot console --quiz power`). EOF and Ctrl-C end a session
with its summary; every grade is one service transaction, so nothing is left half-written.

The parts: `app` (the menu, start and stop), `base` (`Screen`: what every part shares),
`answers` (an item on screen and its answers), `quiz`, `review`, `pages` (stats, leaderboard,
decks, skills, resources), `settings`, `reminders` (`remind` and `ConsoleSink`), `terminal`
(input lines, the rich console) and `images` (PNGs saved for an image viewer).
"""

from bot.console.app import ConsoleApp, main
from bot.console.base import SESSION_LENGTH, Options
from bot.console.images import Images
from bot.console.reminders import ConsoleSink
from bot.console.terminal import Lines, Stop, make_console, tolerant_stdin

__all__ = [
    "SESSION_LENGTH",
    "ConsoleApp",
    "ConsoleSink",
    "Images",
    "Lines",
    "Options",
    "Stop",
    "main",
    "make_console",
    "tolerant_stdin",
]
