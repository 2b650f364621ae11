"""What the package says about itself: its version (in `--version`, the health check and the
changelog, all as pyproject.toml has it), its licence, and the marker that makes it typed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from flask.testing import FlaskClient

from tests.doc_examples import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
VERSION = PYPROJECT["version"]
SCRIPT = Path(sys.executable).parent / "ivs-realtime-emulator"


def test_version_flag_prints_the_pyproject_version() -> None:
    done = subprocess.run(
        [str(SCRIPT), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout == f"ivs-realtime-emulator {VERSION}\n"


def test_health_reports_the_pyproject_version(client: FlaskClient) -> None:
    assert client.get("/_emulator/health").get_json()["version"] == VERSION


def test_the_changelog_has_an_entry_for_the_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert f"\n## {VERSION} " in changelog or f"\n## {VERSION}\n" in changelog


def test_the_licence_file_is_the_apache_2_0_text_pyproject_names() -> None:
    assert PYPROJECT["license"] == {"text": "Apache-2.0"}
    licence = (ROOT / "LICENSE").read_text("utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    assert len(licence.split()) > 1500  # the whole text, not a pointer to it


def test_a_users_mypy_reads_the_types_of_the_testing_helpers(tmp_path: Path) -> None:
    # Run from elsewhere, mypy finds the package as installed, where only py.typed lets it in.
    (tmp_path / "test_users.py").write_text(
        "from emulator.testing import LiveServer, aws_environment\n"
        "from emulator.testing.pytest_plugin import IvsEmulator\n"
        "\n"
        "\n"
        "def jwks(emulator: IvsEmulator) -> str:\n"
        "    return emulator.jwks_url\n"
        "\n"
        "\n"
        "def variables(server: LiveServer) -> dict[str, str]:\n"
        "    with aws_environment(server.url) as set_here:\n"
        "        return set_here\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         "test_users.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert (ROOT / "emulator" / "py.typed").is_file()
    assert done.returncode == 0, done.stdout
