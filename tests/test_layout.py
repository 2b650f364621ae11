"""The package layout keeps the request's line straight: no module imports from a layer above
its own, every package says what it holds, and code cites only files that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "emulator"

LAYERS: dict[str, int] = {
    "emulator.contract": 0,
    "emulator.config": 1,
    "emulator.tokens": 1,
    "emulator.state": 2,
    "emulator.controls": 2,
    "emulator.service": 3,
    "emulator.controls.snapshot": 4,
    "emulator.controls.import_check": 4,
    "emulator.controls.views": 4,
    "emulator.events": 4,
    "emulator.dataplane": 4,
    "emulator.persistence": 4,
    "emulator.http": 5,
    "emulator.testing": 6,
    "emulator": 7,
}
"""Each package's layer, lowest first; the longest matching prefix decides a module's layer."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> int:
    prefixes = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return LAYERS[max(prefixes, key=len)]


def imported_modules(path: Path) -> list[str]:
    """Every emulator module `path` imports, at its top or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("emulator"):
                for alias in node.names:
                    candidate = f"{target}.{alias.name}"
                    submodule = ROOT.joinpath(*candidate.split("."))
                    is_module = submodule.with_suffix(".py").is_file() or submodule.is_dir()
                    found.append(candidate if is_module else target)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("emulator")]
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_from_a_layer_above_its_own(path: Path) -> None:
    name = module_name(path)
    upward = [m for m in imported_modules(path) if layer(m) > layer(name)]
    assert upward == [], f"{name} (layer {layer(name)}) imports {upward}"


@pytest.mark.parametrize(
    "package",
    sorted(p.parent for p in PACKAGE.rglob("__init__.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_package_states_its_purpose(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8")))
    assert docstring and len(docstring.split()) >= 8


def test_the_top_floor_holds_only_entry_points_config_and_tokens() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "config.py", "tokens.py"]


CITED_FILE = re.compile(r"(?<![\w/.-])((?:emulator|tests|contract|docs|bench|examples)/[\w./-]+\.\w+)")


def cited_files() -> list[tuple[str, str]]:
    texts = [*PACKAGE.rglob("*.py"), *ROOT.glob("tests/*.py"), ROOT / "README.md"]
    texts += [*ROOT.glob("docs/*.md"), ROOT / "contract" / "README.md"]
    cited = []
    for path in texts:
        if path.is_file():
            for match in CITED_FILE.finditer(path.read_text("utf-8")):
                cited.append((str(path.relative_to(ROOT)), match.group(1).rstrip(".")))
    return cited


def test_every_file_the_code_and_docs_cite_is_in_the_repository() -> None:
    missing = sorted({(where, cited) for where, cited in cited_files() if not (ROOT / cited).exists()})
    assert missing == []


def test_nothing_cites_notes_that_are_not_in_the_repository() -> None:
    texts = [*PACKAGE.rglob("*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("contract/*")]
    citing = [
        str(p.relative_to(ROOT))
        for p in texts
        if p.is_file() and p.name != "test_layout.py" and re.search(r"design\.md|ivs-facts", p.read_text("utf-8", "replace"))
    ]
    assert citing == []
