"""One typed configuration object, built from defaults, `IVS_EMULATOR_*` variables and flags,
and the installed version the emulator reports.

Every setting is declared once in SETTINGS; the CLI's flags, the environment variables and
the table in docs/configuration.md all come from that list.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from .contract.timestamps import parse_instant

ENV_PREFIX = "IVS_EMULATOR_"
LOG_FORMATS = ("text", "json")
DISTRIBUTION = "ivs-realtime-emulator"


def package_version() -> str:
    """The installed distribution's version (pyproject.toml's), as `--version` and the health
    check report it; "unknown" when the package runs from a tree that was never installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def parse_access_keys(text: str) -> dict[str, str]:
    """'AKID1=111111111111,AKID2=222222222222' -> {access key id: account id}."""
    result: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, account = item.partition("=")
        if not sep or not account.isdigit() or len(account) != 12:
            raise ValueError(f"expected ACCESS_KEY_ID=123456789012, got {item!r}")
        result[key.strip()] = account
    return result


@dataclass(frozen=True)
class Credential:
    """What an access key id stands for when signatures are verified (docs/signatures.md)."""

    secret: str
    account: str | None = None
    """The account its requests act in; None: as an access key id without credentials."""


def parse_credentials(text: str) -> dict[str, Credential]:
    """'AKID=SECRET:123456789012,AKID2=SECRET2' -> {access key id: Credential}.

    The account is optional; a secret may hold any character but `,` (the last `:` followed
    by 12 digits starts the account).
    """
    result: dict[str, Credential] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, rest = item.partition("=")
        secret, colon, account = rest.rpartition(":")
        if not (colon and account.isdigit() and len(account) == 12):
            secret, account = rest, ""
        if not sep or not key.strip() or not secret:
            raise ValueError(f"expected ACCESS_KEY_ID=SECRET or ACCESS_KEY_ID=SECRET:123456789012, "
                             f"got {item.partition('=')[0]!r}=...")
        result[key.strip()] = Credential(secret, account or None)
    return result


def parse_comma_set(text: str) -> frozenset[str]:
    """'a, b,c' -> {'a', 'b', 'c'}: account ids, access key ids, host names, origins."""
    return frozenset(filter(None, (part.strip() for part in text.split(","))))


class NotGiven(Enum):
    """The value of a flag that was not on the command line (None is `off`, a value)."""

    NOT_GIVEN = "not given"


NOT_GIVEN = NotGiven.NOT_GIVEN
"""Config.from_env ignores an override with this value; the CLI's flags default to it."""


@dataclass(frozen=True)
class Setting:
    name: str
    help: str
    parse: Callable[[str], Any]
    bare: str | None = None
    """What the flag means given without a value (`--clock-frozen` = `--clock-frozen true`)."""
    repeatable: bool = False
    """The flag may be given more than once; its values (tuples) add up."""

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Quota:
    """One quota: its name in /_emulator/behaviours, its setting, and what it counts."""

    name: str
    setting: str
    counts: str
    help: str


QUOTAS: tuple[Quota, ...] = (
    Quota(
        "stages",
        "stage_quota",
        "stages per region",
        "stages per account and region (the documented 100)",
    ),
    Quota(
        "participant_tokens_per_stage",
        "participant_token_quota",
        "participant tokens per stage",
        "participant tokens per stage that CreateParticipantToken may issue (off unless set)",
    ),
    Quota(
        "public_keys",
        "public_key_quota",
        "public keys per region",
        "public keys per account and region that ImportPublicKey may keep (off unless set)",
    ),
    Quota(
        "encoder_configurations",
        "encoder_configuration_quota",
        "encoder configurations per region",
        "encoder configurations per account and region (the documented 20)",
    ),
    Quota(
        "storage_configurations",
        "storage_configuration_quota",
        "storage configurations per region",
        "storage configurations per account and region (off unless set)",
    ),
    Quota(
        "compositions",
        "composition_quota",
        "concurrent compositions per region",
        "concurrent compositions per account and region (the documented 5)",
    ),
    Quota(
        "ingest_configurations",
        "ingest_configuration_quota",
        "ingest configurations per region",
        "ingest configurations per account and region (off unless set)",
    ),
)
"""Every quota the emulator enforces; the settings, the behaviours view and the errors
all name them from here (ServiceQuotaExceededException, choice C13)."""

QUOTA_BY_NAME = {quota.name: quota for quota in QUOTAS}


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 4599
    default_account: str = "123456789012"
    default_region: str = "us-east-1"
    access_keys: Mapping[str, str] = field(default_factory=dict)
    signing_key_file: str | None = None
    max_body_bytes: int = 1024 * 1024
    seed: int | None = None
    log_level: str = "INFO"
    denied: frozenset[str] = frozenset()
    pending_verification: frozenset[str] = frozenset()
    stage_quota: int | None = 100
    participant_token_quota: int | None = None
    public_key_quota: int | None = None
    encoder_configuration_quota: int | None = 20
    storage_configuration_quota: int | None = None
    composition_quota: int | None = 5
    ingest_configuration_quota: int | None = None
    clock_start: datetime | None = None
    clock_frozen: bool = False
    journal_size: int = 1000
    log_format: str = "text"
    verify_signatures: bool = False
    credentials: Mapping[str, Credential] = field(default_factory=dict)
    credentials_file: str | None = None
    lists_not_found: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_origins: frozenset[str] = frozenset()
    state_dir: str | None = None
    events_webhook: tuple[str, ...] = ()
    eventbridge_endpoint: str | None = None
    event_bus_name: str = "default"
    events_size: int = 10_000
    data_plane: bool = False
    data_plane_port: int | None = None
    public_host: str | None = None

    @property
    def data_plane_listen_port(self) -> int:
        """The data plane's port: --data-plane-port, else the API port + 1 (0: a free one)."""
        if self.data_plane_port is not None:
            return self.data_plane_port
        return self.port + 1 if self.port else 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Config:
        """Defaults, then `IVS_EMULATOR_*` variables, then explicit overrides (flags).

        An override of None is a value like any other (`--stage-quota off` is None and wins
        over the variable and the default); only NOT_GIVEN means "not given".
        """
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = environ.get(setting.env)
            if raw is not None and raw != "":
                values[setting.name] = setting.parse(raw)
        values.update({k: v for k, v in overrides.items() if v is not NOT_GIVEN})
        return cls(**values)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _optional_int(text: str) -> int | None:
    if text.strip().lower() in ("", "none", "off"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer, or none, got {text!r}") from None


def parse_quota(text: str) -> int | None:
    """The one parser of every quota setting, flag and variable alike: a count of 0 or more,
    or `off` (also `none`) for no quota."""
    value = text.strip().lower()
    if value in ("off", "none"):
        return None
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"expected a number of 0 or more, or off, got {text!r}")
    return count


def parse_log_format(text: str) -> str:
    value = text.strip().lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"expected one of {', '.join(LOG_FORMATS)}, got {text!r}")
    return value


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def parse_url(text: str) -> str:
    """An http:// or https:// URL, as given."""
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
    return url


def parse_url_list(text: str) -> tuple[str, ...]:
    """'http://a/x,http://b/y' -> the URLs, in order."""
    return tuple(parse_url(part) for part in text.split(",") if part.strip())


def _size(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"expected 0 or more, got {text!r}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"expected a port from 0 to 65535, got {text!r}")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "address to listen on", str),
    Setting("port", "TCP port to listen on", int),
    Setting("default_account", "account for requests whose access key is not mapped", str),
    Setting("default_region", "region for requests without a SigV4 credential scope", str),
    Setting(
        "access_keys",
        "map access key ids to accounts: AKID=123456789012,AKID2=210987654321 "
        "(a 12-digit access key id is its own account)",
        parse_access_keys,
    ),
    Setting("signing_key_file", "PEM file of the EC P-384 private key that signs tokens", str),
    Setting("max_body_bytes", "largest request body accepted (larger: 413)", int),
    Setting("seed", "seed for generated ids, so runs repeat", _optional_int),
    Setting("log_level", "DEBUG, INFO, WARNING or ERROR", str),
    Setting(
        "denied",
        "account ids or access key ids answered with AccessDeniedException (comma-separated)",
        parse_comma_set,
    ),
    Setting(
        "pending_verification",
        "account ids or access key ids answered with PendingVerification where the operation "
        "models it (comma-separated)",
        parse_comma_set,
    ),
    *(Setting(quota.setting, f"{quota.help}; off for none", parse_quota) for quota in QUOTAS),
    Setting(
        "clock_start",
        "the emulator clock's time at start, ISO 8601 (e.g. 2026-01-02T03:04:05Z; no zone: UTC); "
        "it runs on from there unless frozen",
        parse_instant,
    ),
    Setting(
        "clock_frozen",
        "stop the emulator clock at its start time until moved through /_emulator/clock",
        parse_bool,
        bare="true",
    ),
    Setting("journal_size", "API requests kept for GET /_emulator/requests (0: none)", _size),
    Setting("log_format", "text (one readable line per request) or json", parse_log_format),
    Setting(
        "verify_signatures",
        "check every API request's SigV4 signature against the credentials, as AWS does "
        "(needs botocore: the sigv4 extra; docs/signatures.md)",
        parse_bool,
        bare="true",
    ),
    Setting(
        "credentials",
        "access key ids, secrets and accounts for --verify-signatures: "
        "AKID=SECRET:123456789012,AKID2=SECRET2 (the account is optional)",
        parse_credentials,
    ),
    Setting(
        "credentials_file",
        "a JSON or INI (~/.aws/credentials style) file of credentials for --verify-signatures; "
        "--credentials adds to it and wins",
        str,
    ),
    Setting(
        "lists_not_found",
        "ListStageSessions, ListParticipants and ListParticipantEvents answer "
        "ResourceNotFoundException for an unknown stage, session or participant instead of an "
        "empty list (the model declares no such error for them)",
        parse_bool,
        bare="true",
    ),
    Setting(
        "allowed_hosts",
        "host names served besides loopback names and --host, e.g. a compose service name "
        "(comma-separated; * for any: then a web page can reach it by DNS rebinding)",
        parse_comma_set,
    ),
    Setting(
        "allowed_origins",
        "web origins (https://app.example:8443) whose pages may use /_emulator/ besides the "
        "emulator's own dashboard (comma-separated)",
        parse_comma_set,
    ),
    Setting(
        "state_dir",
        "keep the state, signing key, clock, seed and behaviours in this directory (SQLite), "
        "every write on disk before it is answered, and bring them back on restart "
        "(docs/persistence.md)",
        str,
    ),
    Setting(
        "events_webhook",
        "POST every EventBridge event, as JSON, to this URL (repeatable; the variable takes a "
        "comma-separated list; docs/events.md)",
        parse_url_list,
        repeatable=True,
    ),
    Setting(
        "eventbridge_endpoint",
        "send every event with EventBridge PutEvents to this endpoint, e.g. LocalStack's or "
        "moto's (needs boto3: the events extra; docs/events.md)",
        parse_url,
    ),
    Setting("event_bus_name", "the bus --eventbridge-endpoint sends events to", str),
    Setting("events_size", "events kept for GET /_emulator/events (0: none)", _size),
    Setting(
        "data_plane",
        "also serve the stage's data plane (events WebSocket, WHIP publish and subscribe) on "
        "--data-plane-port; needs the 'media' extra (docs/live-stages.md)",
        parse_bool,
        bare="true",
    ),
    Setting(
        "data_plane_port",
        "TCP port of the data plane (default: the API port + 1; 0 picks a free one)",
        _port,
    ),
    Setting(
        "public_host",
        "host that the data plane's URLs in stages and tokens name, e.g. the one a container "
        "publishes (default: --host; 127.0.0.1 when that is 0.0.0.0 or ::)",
        str,
    ),
)
