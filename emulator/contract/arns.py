"""Amazon Resource Names of IVS Real-Time resources: building and reading them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

ARN_RE = re.compile(
    r"arn:aws:ivs:(?P<region>[a-z0-9-]+):(?P<account>[0-9]+):(?P<type>[a-z-]+)/(?P<id>.+)"
)


@dataclass(frozen=True)
class Arn:
    region: str
    account: str
    resource_type: str
    resource_id: str

    def __str__(self) -> str:
        return f"arn:aws:ivs:{self.region}:{self.account}:{self.resource_type}/{self.resource_id}"


def parse(arn: str) -> Arn | None:
    match = ARN_RE.fullmatch(arn)
    if match is None:
        return None
    return Arn(match["region"], match["account"], match["type"], match["id"])


def build(region: str, account: str, resource_type: str, resource_id: str) -> str:
    return str(Arn(region, account, resource_type, resource_id))


def account_prefix(account: str) -> str:
    """The 12 hex characters naming an account's media hosts (choice C6 in contract/README.md)."""
    return hashlib.sha256(f"ivs-realtime-emulator:{account}".encode()).hexdigest()[:12]
