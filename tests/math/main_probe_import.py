"""Notes the pid of every process that imports it (see `main_probe`)."""

from __future__ import annotations

import os

_NOTES = os.environ.get("DERIVBOT_PROBE_IMPORTS")
if _NOTES:
    with open(_NOTES, "a", encoding="ascii") as notes:
        notes.write(f"{os.getpid()}\n")
