"""Rendered PNGs saved where the user can open them: the console's stand-in for Discord's
attachments."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

RENDER_PAD = 24  # pixels of background around a formula saved for an image viewer
BACKGROUNDS = {"dark": (0x2B, 0x2D, 0x31), "light": (0xFF, 0xFF, 0xFF)}


class Images:
    """Rendered PNGs, saved where the user can open them (and opened for them on --open)."""

    def __init__(self, folder: Path, out: Console, *, open_them: bool = False) -> None:
        self.folder = folder
        self.out = out
        self.open_them = open_them
        self.broken = False

    def save(self, name: str, png: bytes | None, theme: str, label: str) -> Path | None:
        if png is None or self.broken:
            return None
        path = self.folder / name
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(opaque(png, theme))
        except OSError as exc:  # the text above says it all; the pictures are a bonus
            self.broken = True
            self.out.print(Text(f"(images are off: cannot write {self.folder}: {exc})", "dim"))
            return None
        self.out.print(Text(f"🖼  {label}: {shown_path(path)}", style="dim"))
        if self.open_them:
            open_in_viewer(path)
        return path


def opaque(png: bytes, theme: str) -> bytes:
    """Formula images are transparent (for Discord's chat); an image viewer shows them on
    white or a checkerboard, where dark-theme text vanishes. Put them on the theme's
    background, with a margin. Opaque images (charts) are returned as they are."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return png
    image = image.convert("RGBA")
    if image.getextrema()[3][0] == 255:
        return png
    background = Image.new(
        "RGBA",
        (image.width + 2 * RENDER_PAD, image.height + 2 * RENDER_PAD),
        (*BACKGROUNDS.get(theme, BACKGROUNDS["dark"]), 255),
    )
    background.alpha_composite(image, (RENDER_PAD, RENDER_PAD))
    out = io.BytesIO()
    background.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def open_in_viewer(path: Path) -> None:
    """The system's image viewer, best effort: a missing viewer is not the student's problem."""
    try:
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]
            return
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen(
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        pass


def shown_path(path: Path) -> str:
    """Relative to the working directory when inside it: shorter, and still clickable."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())
