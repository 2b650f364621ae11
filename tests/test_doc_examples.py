"""The examples of the docs/ pages run as written, taken from each page's own text (README.md's
are tests/test_readme.py's, docs/controls.md's tests/test_controls.py's, docs/errors.md's
tests/test_errors_example.py's), and the helper that finds them finds what it should."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import Config, create_app
from emulator.testing import LiveServer
from tests.doc_examples import (
    DOCUMENTED_URL,
    ROOT,
    blocks,
    code_block,
    code_blocks,
    run_shell,
    section,
)

pytest_plugins = ["pytester"]


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """An emulator on the wall clock, as `make run` starts it."""
    with LiveServer(create_app(Config())) as server:
        yield server


# -- the helper ----------------------------------------------------------------------------


def test_a_section_runs_to_the_next_heading_of_its_level_and_keeps_its_subsections() -> None:
    text = section("docs/stage-client.md", "Acting as a stage client")
    assert "## Publishing with an ingest configuration" in text
    assert section("docs/testing.md", "The pytest plugin").count("\n## ") == 0


def test_a_hash_comment_in_a_code_block_is_not_a_heading() -> None:
    (first, second) = code_blocks("docs/stage-client.md", "Acting as a stage client", "sh")
    assert "# 403" in first and "# the replica is STOPPED" in second
    assert [b.heading for b in blocks("docs/stage-client.md")] == [
        "Acting as a stage client",
        "Publishing with an ingest configuration",
    ]


def test_an_indented_block_in_a_list_item_is_found_without_its_indent() -> None:
    (conftest,) = [
        code
        for code in code_blocks("docs/testing.md", "Settings and switches", "python")
        if "ivs_emulator_config" in code
    ]
    assert conftest.startswith("import os\n")


def test_an_unknown_heading_is_an_error() -> None:
    with pytest.raises(LookupError):
        section("README.md", "No such heading")


# -- docs/stage-client.md ------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_stage_client_and_encoder_walkthroughs_run_in_one_shell(
    live_server: LiveServer, tmp_path: Path
) -> None:
    walkthrough = "\n".join(
        code_blocks("docs/stage-client.md", "Acting as a stage client", "sh")
    )
    done = run_shell(walkthrough, live_server.url, tmp_path)
    assert done.returncode == 0, done.stderr
    # Each refusal the page shows in a comment is what the stage client answered.
    refusals = re.findall(r'^# 403 \{"error": "(\w+)"', walkthrough, re.M)
    assert refusals == ["insufficient_capabilities", "participant_disconnected"]
    for code in refusals:
        assert f'"error": "{code}"' in done.stdout, done.stdout
    # Bob's events as the page's comment lists them, newest first.
    listed = re.search(r"# newest first: ([A-Z_, ]+)", walkthrough)
    assert listed is not None
    events = done.stdout[done.stdout.index('"events": [') :]
    shown = re.findall(r'"name": "(\w+)"', events)[:3]
    assert shown == listed[1].split(", ")
    sessions = done.stdout[done.stdout.index('"stageSessions": [') :]
    assert '"endTime"' in sessions.split("]", 1)[0]  # the last one out ended the session
    assert '\n"ACTIVE"\n' in done.stdout  # the configuration while its encoder publishes
    last_replicas = done.stdout[done.stdout.rindex('"replicas": [') :]
    assert '"replicationState": "STOPPED"' in last_replicas  # its source left


# -- docs/testing.md -----------------------------------------------------------------------


def test_the_install_line_is_satisfied_by_what_the_tests_install(tmp_path: Path) -> None:
    (install,) = code_blocks("docs/testing.md", "Testing with the emulator", "sh")[:1]
    assert install.startswith("pip install ")
    done = run_shell(install, DOCUMENTED_URL, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_run_line_passes_the_examples_folder() -> None:
    (run,) = [
        code
        for code in code_blocks("docs/testing.md", "The pytest plugin", "sh")
        if "pytest" in code
    ]
    assert run.strip() == "python -m pytest examples/pytest"
    done = subprocess.run(
        [sys.executable, *run.split()[1:], "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert "3 passed" in done.stdout


def test_the_conftest_override_changes_the_emulator_s_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    (conftest,) = [
        code
        for code in code_blocks("docs/testing.md", "Settings and switches", "python")
        if "ivs_emulator_config" in code
    ]
    pytester.makeconftest(conftest)
    pytester.makepyfile(
        """
        import pytest
        from botocore.exceptions import ClientError

        def test_the_fifth_stage_is_the_last(ivs_realtime_client):
            for _ in range(5):
                ivs_realtime_client.create_stage()
            with pytest.raises(ClientError, match="ServiceQuotaExceededException"):
                ivs_realtime_client.create_stage()
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_example_without_pytest_runs() -> None:
    example = code_block(
        "docs/testing.md", "Without pytest: `LiveServer`, `boto3_client`, `aws_environment`"
    )
    printed = io.StringIO()
    names: dict[str, Any] = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(example, "docs/testing.md", "exec"), names)
    assert printed.getvalue() == "ok\n"
