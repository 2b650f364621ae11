"""One typed configuration object, built from defaults, `IVS_EMULATOR_*` variables and flags.

Every setting is declared once in SETTINGS; the CLI's flags, the environment variables and
the README's table all come from that list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "IVS_EMULATOR_"


def parse_access_keys(text: str) -> dict[str, str]:
    """'AKID1=111111111111,AKID2=222222222222' -> {access key id: account id}."""
    result: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, account = item.partition("=")
        if not sep or not account.isdigit() or len(account) != 12:
            raise ValueError(f"expected ACCESS_KEY_ID=123456789012, got {item!r}")
        result[key.strip()] = account
    return result


def parse_account_list(text: str) -> frozenset[str]:
    """'111111111111,AKIDEXAMPLE' -> a set of account ids and access key ids."""
    return frozenset(filter(None, (part.strip() for part in text.split(","))))


@dataclass(frozen=True)
class Setting:
    name: str
    help: str
    parse: Callable[[str], Any]

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


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
    stage_quota: int = 100
    participant_token_quota: int | None = None
    public_key_quota: int | None = None
    encoder_configuration_quota: int | None = 20
    storage_configuration_quota: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Config:
        """Defaults, then `IVS_EMULATOR_*` variables, then explicit overrides (flags)."""
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = environ.get(setting.env)
            if raw is not None and raw != "":
                values[setting.name] = setting.parse(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _optional_int(text: str) -> int | None:
    return None if text.lower() in ("", "none", "off") else int(text)


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
        parse_account_list,
    ),
    Setting(
        "pending_verification",
        "account ids or access key ids answered with PendingVerification where the operation "
        "models it (comma-separated)",
        parse_account_list,
    ),
    Setting("stage_quota", "stages per account and region (ServiceQuotaExceededException)", int),
    Setting(
        "participant_token_quota",
        "participant tokens per stage that CreateParticipantToken may issue (off unless set)",
        _optional_int,
    ),
    Setting(
        "public_key_quota",
        "public keys per account and region that ImportPublicKey may keep (off unless set)",
        _optional_int,
    ),
    Setting(
        "encoder_configuration_quota",
        "encoder configurations per account and region (the documented 20; 'off' for none)",
        _optional_int,
    ),
    Setting(
        "storage_configuration_quota",
        "storage configurations per account and region (off unless set)",
        _optional_int,
    ),
)
