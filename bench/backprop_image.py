"""Render docs/images/backprop.png, a backprop problem's graph: `python -m bench.backprop_image`.

The problem is `derivbot generate --skill backprop --level 3 --seed 0`; the picture is the one
its solution shows (every forward value and local derivative), drawn by the same renderer as
/quiz, /review and the console, on an opaque background so it reads on GitHub's light and
dark pages alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.console.images import opaque
from bot.math.generator import generate
from bot.math.render.graph import render_graph

OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "backprop.png"
THEME = "dark"


def main() -> int:
    problem = generate("backprop", 3, 0)
    rendered = render_graph(problem.extra["graph"], solved=True, theme=THEME)
    if rendered.png is None:
        print(f"could not draw the graph: {rendered.error}", file=sys.stderr)
        return 1
    OUT.write_bytes(opaque(rendered.png, THEME))
    print(f"{problem.prompt}\nwrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
