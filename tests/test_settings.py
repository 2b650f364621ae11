"""Every setting is a flag and an IVS_EMULATOR_* variable, listed in docs/configuration.md's one
table."""

from __future__ import annotations

import re

import pytest

from emulator.config import SETTINGS, Config
from emulator.http.cli import build_parser, load_config
from tests.doc_examples import section


def documented_rows() -> dict[str, tuple[str, str, str]]:
    """The settings table: flag -> (environment variable, default, meaning)."""
    rows = {}
    for line in section("docs/configuration.md", "Settings").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`--"):
            rows[cells[0].strip("`")] = (cells[1].strip("`"), cells[2], cells[3])
    return rows


def test_documented_table_and_settings_agree() -> None:
    rows = documented_rows()
    assert sorted(rows) == sorted(setting.flag for setting in SETTINGS)
    for setting in SETTINGS:
        env, default, meaning = rows[setting.flag]
        assert env == setting.env
        assert default and meaning, setting.flag


def test_help_shows_every_setting_with_its_variable() -> None:
    text = re.sub(r"\s+", " ", build_parser().format_help())
    for setting in SETTINGS:
        assert setting.flag in text and setting.env in text


def test_new_settings_from_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVS_EMULATOR_JOURNAL_SIZE", "5")
    config = load_config(
        ["--clock-start", "2030-01-01T00:00:00", "--clock-frozen", "--log-format", "json"]
    )
    assert config.clock_start is not None and config.clock_start.isoformat() == (
        "2030-01-01T00:00:00+00:00"
    )
    assert (config.clock_frozen, config.log_format, config.journal_size) == (True, "json", 5)
    assert load_config(["--clock-frozen", "false"]).clock_frozen is False
    assert Config.from_env({"IVS_EMULATOR_CLOCK_FROZEN": "yes"}).clock_frozen is True


@pytest.mark.parametrize(
    "argv",
    [
        ["--clock-start", "tomorrow"],
        ["--clock-frozen", "maybe"],
        ["--log-format", "xml"],
        ["--journal-size", "-1"],
    ],
)
def test_bad_values_are_refused_at_start(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        load_config(argv)
