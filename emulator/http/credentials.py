"""The credentials table of `--verify-signatures`: access key id -> secret and account.

It comes from `--credentials-file` (JSON or an INI like ~/.aws/credentials) and then
`--credentials` (which adds to the file and wins). Errors name the file and the entry, never
a secret.

JSON: `{"AKID": {"secretAccessKey": "...", "account": "123456789012"}, ...}` (`account`
optional). INI: one section per key, with `aws_access_key_id`, `aws_secret_access_key` and
optionally `aws_account_id`, as the AWS CLI writes them.
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import Config, Credential


class CredentialsError(ValueError):
    """A credentials file that cannot be read or has a bad entry."""


def _account(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not (isinstance(value, str) and value.isdigit() and len(value) == 12):
        raise CredentialsError(f"{where}: the account must be 12 digits")
    return value


def _from_json(document: Any, path: str) -> dict[str, Credential]:
    if not isinstance(document, dict):
        raise CredentialsError(f"{path}: expected a JSON object of access key ids")
    table: dict[str, Credential] = {}
    for key, entry in document.items():
        where = f"{path}: {key!r}"
        if not isinstance(entry, dict):
            raise CredentialsError(f"{where}: expected an object with secretAccessKey")
        secret = entry.get("secretAccessKey")
        if not isinstance(secret, str) or not secret:
            raise CredentialsError(f"{where}: secretAccessKey must be a non-empty string")
        table[key] = Credential(secret, _account(entry.get("account"), where))
    return table


def _from_ini(text: str, path: str) -> dict[str, Credential]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        raise CredentialsError(f"{path}: not JSON, and not an INI file: {exc}") from None
    table: dict[str, Credential] = {}
    for name in parser.sections():
        section = parser[name]
        key = section.get("aws_access_key_id", "").strip()
        secret = section.get("aws_secret_access_key", "").strip()
        if not key or not secret:
            raise CredentialsError(
                f"{path}: [{name}] needs aws_access_key_id and aws_secret_access_key"
            )
        account = _account(section.get("aws_account_id", "").strip(), f"{path}: [{name}]")
        table[key] = Credential(secret, account)
    return table


def read_credentials_file(path: str) -> dict[str, Credential]:
    """The table a credentials file holds: JSON if it parses as JSON, else INI."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"cannot read the credentials file {path}: {exc}") from None
    try:
        document = json.loads(text)
    except ValueError:
        return _from_ini(text, path)
    return _from_json(document, path)


def credential_table(config: Config) -> dict[str, Credential]:
    """The file's credentials, then the `credentials` setting's over them."""
    table = read_credentials_file(config.credentials_file) if config.credentials_file else {}
    table.update(config.credentials)
    return table


def accounts_of(table: Mapping[str, Credential]) -> dict[str, str]:
    """Access key id -> account, for the keys whose account is given."""
    return {key: cred.account for key, cred in table.items() if cred.account is not None}
