"""Every code block of README.md runs as written, taken from the README's own text.

Python blocks run against a live server, shell blocks in bash as a user pastes them (the blocks
of one section in one shell, in order), the JS block under Node. Only the documented URL is
replaced by the live server's. `pip install` runs as a dry run against this environment
(tests/doc_examples.py), `make` as `make -n` into a fresh folder: nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import Config, create_app
from emulator.testing import LiveServer
from tests.doc_examples import (
    DOCUMENTED_URL,
    PIP_DRY_RUN,
    ROOT,
    blocks,
    run_shell,
    shell_environment,
)

README = "README.md"
JS_DIR = ROOT / "tests" / "js"
JS_SDK = JS_DIR / "node_modules" / "@aws-sdk" / "client-ivs-realtime"

NOT_RUN: dict[tuple[str, str], str] = {}
"""Blocks no test here runs, by (heading, language), with the reason: none."""

RUN = {
    ("ivs-realtime-emulator", "sh"),
    ("Point a client at it", "python"),
    ("Point a client at it", "sh"),
    ("Point a client at it", "js"),
    ("Verify a token", "sh"),
    ("Verify a token", "python"),
    ("Test your code with it", "sh"),
    ("Test your code with it", "python"),
    ("Beside moto and LocalStack", "sh"),
}
"""The (heading, language) pairs whose blocks the tests below run, every block of each."""


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """An emulator on the wall clock, as `make run` starts it (tokens expire in real time)."""
    with LiveServer(create_app(Config())) as server:
        yield server


def readme(heading: str, lang: str) -> list[str]:
    assert (heading, lang) in RUN, "add the pair to RUN"
    found = [b.code for b in blocks(README) if (b.heading, b.lang) == (heading, lang)]
    assert found, f"README.md has no {lang} block under {heading!r}"
    return found


def test_every_block_of_the_readme_is_run_by_a_test_here() -> None:
    present = {(block.heading, block.lang) for block in blocks(README)}
    assert present - set(NOT_RUN) == RUN


# -- the first screen ----------------------------------------------------------------------


def commands(block: str) -> list[str]:
    """The commands of a shell block, without comments."""
    lines = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line]


def test_the_first_two_commands_are_make_run_and_make_test(tmp_path: Path) -> None:
    make_block, _ = readme("ivs-realtime-emulator", "sh")
    assert commands(make_block) == ["make run", "make test"]
    planned = {}
    for command in commands(make_block):
        done = subprocess.run(
            [*command.split(), "-n", f"VENV={tmp_path / 'venv'}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        planned[command] = done.stdout
    # make run: a new venv with the package alone, then the console script
    assert "-m venv" in planned["make run"]
    assert re.search(r"pip install --quiet -e \.$", planned["make run"], re.M)
    assert "[dev]" not in planned["make run"]
    assert "ivs-realtime-emulator" in planned["make run"]
    # make test: the dev extra too, then pytest
    assert re.search(r"-e '\.\[dev[],]", planned["make test"]) and "-m pytest" in planned["make test"]


def test_pip_install_then_the_console_script_serves(tmp_path: Path) -> None:
    _, pip_block = readme("ivs-realtime-emulator", "sh")
    env = shell_environment(tmp_path) | {"IVS_EMULATOR_PORT": "0"}  # a free port, not 4599
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            ["bash", "-c", "set -euo pipefail\n" + PIP_DRY_RUN + pip_block],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline, match = time.monotonic() + 60, None
        while match is None and time.monotonic() < deadline and process.poll() is None:
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)\n", log.read_text())
            time.sleep(0.05)
        assert match is not None, log.read_text()
        with urllib.request.urlopen(match[1] + "/_emulator/health", timeout=5) as response:
            assert response.status == 200
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def test_the_readme_says_all_40_operations_and_the_contract_has_40() -> None:
    from emulator.contract.model import Contract

    first_screen = (ROOT / README).read_text("utf-8").split("\n## ", 1)[0]
    assert f"All {len(Contract.load().operations)} operations of the API are emulated" in (
        first_screen.replace("**", "")
    )
    assert "Python ≥ 3.11" in first_screen


# -- pointing clients at it ----------------------------------------------------------------


def run_python(code: str, url: str, names: dict[str, Any]) -> str:
    """Run a Python block against `url` in `names`; what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.replace(DOCUMENTED_URL, url), README, "exec"), names)
    return printed.getvalue()


def test_boto3_creates_a_stage_and_a_token_and_the_token_verifies(
    live_server: LiveServer, ivs: Any
) -> None:
    (client_block,) = readme("Point a client at it", "python")
    (verify_block,) = readme("Verify a token", "python")
    names: dict[str, Any] = {}
    run_python(client_block, live_server.url, names)
    assert ivs.get_stage(arn=names["stage"]["arn"])["stage"]["name"] == "demo"
    assert run_python(verify_block, live_server.url, names) == "alice True\n"
    assert names["claims"]["jti"] == names["token"]["participantId"]


def test_the_aws_cli_blocks_run_in_one_shell(
    live_server: LiveServer, ivs: Any, tmp_path: Path
) -> None:
    done = run_shell("\n".join(readme("Point a client at it", "sh")), live_server.url, tmp_path)
    assert done.returncode == 0, done.stderr
    (stage,) = ivs.list_stages()["stages"]
    assert stage["name"] == "demo"
    # the token (for alice), then list-stages through AWS_ENDPOINT_URL_IVS_REALTIME alone
    assert '"userId": "alice"' in done.stdout
    assert f'"arn": "{stage["arn"]}"' in done.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.skipif(
    not JS_SDK.is_dir(), reason="JS SDK not installed: run `npm ci --prefix tests/js`"
)
def test_the_js_sdk_block_creates_a_stage(
    live_server: LiveServer, ivs: Any, tmp_path: Path
) -> None:
    (js_block,) = readme("Point a client at it", "js")
    (tmp_path / "node_modules").symlink_to(JS_DIR / "node_modules")
    script = tmp_path / "readme.mjs"
    script.write_text(js_block.replace(DOCUMENTED_URL, live_server.url))
    done = subprocess.run(
        ["node", str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert [stage["name"] for stage in ivs.list_stages()["stages"]] == ["demo"]


# -- installing ----------------------------------------------------------------------------


@pytest.mark.parametrize("heading", ["Verify a token", "Test your code with it"])
def test_the_install_line_names_what_the_examples_need(heading: str, tmp_path: Path) -> None:
    (install_block,) = readme(heading, "sh")
    assert commands(install_block)[0].startswith("pip install ")
    done = run_shell(install_block, DOCUMENTED_URL, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_verify_install_line_has_the_crypto_extra_es384_needs() -> None:
    (install_block,) = readme("Verify a token", "sh")
    assert "pyjwt[crypto]" in install_block


def test_the_pytest_install_line_has_what_the_example_imports() -> None:
    (install_block,) = readme("Test your code with it", "sh")
    assert {"boto3", "pytest"} <= set(commands(install_block)[0].split())


# -- testing your code ---------------------------------------------------------------------


pytest_plugins = ["pytester"]


def test_the_pytest_example_passes_with_fixtures_from_the_entry_point(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    (example,) = readme("Test your code with it", "python")
    pytester.makepyfile(test_readme_example=example)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# -- beside moto and LocalStack ------------------------------------------------------------


def test_one_endpoint_variable_per_service(live_server: LiveServer, tmp_path: Path) -> None:
    (block,) = readme("Beside moto and LocalStack", "sh")
    done = run_shell(block, live_server.url, tmp_path)
    assert done.returncode == 0, done.stderr
    printed = block.strip().splitlines()[-1].removeprefix("# ")
    assert done.stdout.strip() == printed.replace(DOCUMENTED_URL, live_server.url)


def test_the_localstack_compose_example_runs_both_on_their_own_ports() -> None:
    import yaml  # PyYAML, installed with the AWS CLI (dev dependency)

    path = ROOT / "examples" / "docker-compose.localstack.yml"
    services = yaml.safe_load(path.read_text("utf-8"))["services"]
    assert set(services) == {"ivs-realtime", "localstack"}
    assert services["ivs-realtime"]["ports"] == ["127.0.0.1:4599:4599"]
    assert services["localstack"]["ports"] == ["127.0.0.1:4566:4566"]
    # an application reaches it by its service name, which it must be told to answer
    assert services["ivs-realtime"]["environment"]["IVS_EMULATOR_ALLOWED_HOSTS"] == "ivs-realtime"
    assert str(path.relative_to(ROOT)) in (ROOT / README).read_text("utf-8")
