"""`make test` on a fresh clone installs only what pyproject declares: every third-party
package the code imports must be declared there."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import name -> distribution name, where they differ
DISTRIBUTION = {
    "yaml": "pyyaml",
    "discord": "discord.py",
    "PIL": "matplotlib",
    "pydantic_core": "pydantic",
}


def _imports(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    out = set()
    for spec in specs:
        name = spec.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        out.add(name.strip().lower())
    return out


def test_every_third_party_import_is_declared() -> None:
    stdlib = set(sys.stdlib_module_names)
    used = {
        name
        for name in _imports(ROOT / "bot") | _imports(ROOT / "bench") | _imports(ROOT / "tests")
        if name not in stdlib and name not in {"bot", "bench", "tests", "__future__"}
    }
    declared = _declared()
    # matplotlib brings Pillow and numpy; simcord[pytest] is the test extra
    implied = {"numpy": "matplotlib", "PIL": "matplotlib", "pytest": "pytest"}
    missing = sorted(
        name
        for name in used
        if DISTRIBUTION.get(name, name).lower().replace("_", "-") not in declared
        and implied.get(name, "").lower() not in declared
    )
    assert missing == [], f"imported but not declared in pyproject.toml: {missing}"
