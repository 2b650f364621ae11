"""The command line: `ivs-realtime-emulator [flags]` (or `python -m emulator`) starts the server."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..config import NOT_GIVEN, SETTINGS, Config, package_version


def _parser(name: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse`, its ValueError shown in its own words (`expected ..., got ...`); argparse
    words those of the built-in types itself (`invalid int value`)."""
    if parse in (int, str):
        return parse

    def parse_flag(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse_flag.__name__ = name
    return parse_flag


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ivs-realtime-emulator",
        description="A local emulator of the Amazon IVS Real-Time control-plane API.",
        epilog="Every flag can also be set by the environment variable named beside it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    defaults = Config()
    for setting in SETTINGS:
        default = getattr(defaults, setting.name)
        shown = "unset" if default in (None, frozenset(), {}) else default
        optional: dict[str, Any] = {}
        if setting.bare is not None:  # an on/off flag: given alone, it means its `bare` value
            optional = {"nargs": "?", "const": setting.parse(setting.bare)}
        if setting.repeatable:  # each use adds its values (load_config joins them)
            optional = {"action": "append", "default": None}
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            type=_parser(setting.name, setting.parse),
            metavar=setting.name.upper(),
            help=f"{setting.help} [env {setting.env}; default {shown}]",
            **{"default": NOT_GIVEN, **optional},  # not None: `off` parses to None, a value
        )
    return parser


def load_config(argv: Sequence[str] | None = None) -> Config:
    values = vars(build_parser().parse_args(argv))
    for setting in SETTINGS:
        if setting.repeatable:
            given = values[setting.name]
            values[setting.name] = (
                NOT_GIVEN if given is None else tuple(v for each in given for v in each)
            )
    try:
        config = Config.from_env(os.environ, **values)
        if config.verify_signatures or config.credentials_file:
            from .signatures import check_setup

            check_setup(config)
        if config.eventbridge_endpoint:
            from ..events.targets import check_setup as check_events_setup

            check_events_setup(config)
        return config
    except ValueError as exc:
        build_parser().error(str(exc))
        raise  # unreachable: error() exits


def main(argv: Sequence[str] | None = None) -> int:
    config = load_config(argv)
    from .server import configure_logging, serve

    configure_logging(config)
    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
