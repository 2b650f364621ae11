"""The code blocks of README.md and the docs/ pages, found by the heading they stand under, for
the tests that run them as written.

A section is a heading's text up to the next heading of the same or a higher level, so it
includes its subsections. Headings inside code blocks (a `#` comment in a shell block) are not
headings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\n(?P<code>.*?)^(?P=indent)```$", re.M | re.S)
HEADING = re.compile(r"^(?P<level>#{1,6}) (?P<title>.+)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: the page, the heading it stands under, its language and code."""

    doc: str
    heading: str
    lang: str
    code: str


def text(doc: str) -> str:
    """A page of the repository, by its path: "README.md", "docs/controls.md"."""
    return (ROOT / doc).read_text("utf-8")


def _dedent(code: str, indent: str) -> str:
    return "".join(line.removeprefix(indent) for line in code.splitlines(keepends=True))


def blocks(doc: str) -> list[Block]:
    """Every code block of the page, in order, each with the nearest heading above it."""
    page = text(doc)
    found = []
    heading, position = "", 0
    for match in FENCE.finditer(page):
        for line in page[position : match.start()].splitlines():
            if title := HEADING.match(line):
                heading = title["title"].strip()
        position = match.end()
        code = _dedent(match["code"], match["indent"])
        found.append(Block(doc, heading, match["lang"], code))
    return found


def section(doc: str, heading: str) -> str:
    """The text under `heading` (without the `#`s), up to the next heading of its level or
    above; code blocks are kept whole."""
    page = text(doc)
    fenced = [(m.start(), m.end()) for m in FENCE.finditer(page)]

    def outside_code(offset: int) -> bool:
        return not any(start <= offset < end for start, end in fenced)

    titles = [
        (m.start(), len(m["level"]), m["title"].strip())
        for m in re.finditer(r"^(?P<level>#{1,6}) (?P<title>.+)$", page, re.M)
        if outside_code(m.start())
    ]
    for index, (start, level, title) in enumerate(titles):
        if title == heading:
            end = next((s for s, lv, _ in titles[index + 1 :] if lv <= level), len(page))
            return page[start:end]
    raise LookupError(f"{doc} has no heading {heading!r}")


def code_blocks(doc: str, heading: str, lang: str | None = None) -> list[str]:
    """The code of the blocks in the section under `heading` (with its subsections), in order,
    only those of language `lang` when given."""
    body = section(doc, heading)
    return [
        _dedent(m["code"], m["indent"])
        for m in FENCE.finditer(body)
        if lang is None or m["lang"] == lang
    ]


def code_block(doc: str, heading: str, lang: str | None = None) -> str:
    """The one code block (of language `lang`) in the section under `heading`."""
    found = code_blocks(doc, heading, lang)
    assert len(found) == 1, f"{doc} '{heading}' has {len(found)} {lang or ''} blocks, not 1"
    return found[0]


DOCUMENTED_URL = "http://127.0.0.1:4599"
"""Where the examples say the emulator listens; tests put a live server's URL in its place."""

PIP_DRY_RUN = r"""
pip() {  # a dry run, with no index: passes when what is installed satisfies the requirements
  [ "$1" = install ] || { echo "only pip install is emulated here" >&2; return 2; }
  shift
  local wanted=()
  for requirement in "$@"; do
    case "$requirement" in
      . | /path/to/ivs-realtime-emulator) wanted+=(ivs-realtime-emulator) ;;  # this checkout
      *) wanted+=("$requirement") ;;
    esac
  done
  python -m pip install --dry-run --no-index --disable-pip-version-check "${wanted[@]}"
}
"""
"""How a shell example's `pip install` runs in a test: checked against the test environment
(which installs this checkout and the dev extra), so that a snippet naming a distribution or
an extra that the tested environment does not have fails, and nothing is downloaded."""


def shell_environment(home: Path) -> dict[str, str]:
    """A user's shell: this environment's tools (python, aws, ivs-realtime-emulator) first on
    PATH, an empty home (no ~/.aws), and no AWS_*, IVS_EMULATOR_* or pip settings of ours."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "IVS_EMULATOR_", "PIP_"))
    }
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["HOME"] = str(home)
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def run_shell(
    code: str, url: str, home: Path, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run shell examples in one bash, as pasted into a terminal, against the emulator at `url`;
    the first failing command fails the run. stdout and stderr are returned as text."""
    script = "set -euo pipefail\n" + PIP_DRY_RUN + code.replace(DOCUMENTED_URL, url)
    return subprocess.run(
        ["bash", "-c", script],
        cwd=home,
        env=shell_environment(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
