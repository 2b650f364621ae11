"""Per-account behaviours: who is denied, who is pending verification, the quotas, and the
injected faults.

One object holds every behaviour that depends on the caller rather than on the request, so
that the request path consults one place. It starts from the configuration and can be changed
at run time through the admin API (faults: emulator/controls/faults.py, choice C32).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..config import QUOTA_BY_NAME, QUOTAS, Config
from ..contract.errors import (
    AccessDeniedException,
    PendingVerification,
    ServiceQuotaExceededException,
)
from ..contract.model import Contract, Operation
from .faults import Faults


@dataclass
class Behaviours:
    denied: set[str] = field(default_factory=set)
    pending_verification: set[str] = field(default_factory=set)
    quotas: dict[str, int | None] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _configured: tuple[frozenset[str], frozenset[str], dict[str, int | None]] = field(
        init=False, repr=False
    )

    def __post_init__(self) -> None:
        self._configured = (
            frozenset(self.denied),
            frozenset(self.pending_verification),
            dict(self.quotas),
        )

    @classmethod
    def from_config(cls, config: Config, contract: Contract | None = None) -> Behaviours:
        """The behaviours `config` sets; faults may name the operations of `contract`."""
        modelled = {name: op.errors for name, op in contract.operations.items()} if contract else {}
        return cls(
            faults=Faults(modelled, config.seed),
            denied=set(config.denied),
            pending_verification=set(config.pending_verification),
            quotas={quota.name: getattr(config, quota.setting) for quota in QUOTAS},
        )

    def gate(
        self,
        operation: Operation,
        account: str,
        access_key: str | None,
        region: str | None = None,
    ) -> None:
        """Refuse the call before validation, in this precedence: denied,
        pending verification, then an injected fault (choices C13 and C32)."""
        callers = {account} | ({access_key} if access_key else set())
        with self._lock:
            denied = bool(callers & self.denied)
            pending = bool(callers & self.pending_verification)
        if denied:
            raise AccessDeniedException(
                f"User is not authorized to perform: ivs:{operation.name} (account {account})"
            )
        if pending and "PendingVerification" in operation.errors:
            raise PendingVerification(
                f"Account {account} is pending verification; {operation.name} is not available "
                "until verification completes"
            )
        fault = self.faults.draw(operation.name, callers, region)
        if fault is not None:
            raise fault

    def quota(self, name: str) -> int | None:
        with self._lock:
            return self.quotas.get(name)

    def enforce(self, name: str, used: int) -> None:
        """Raise ServiceQuotaExceededException when one more would exceed quota `name`."""
        limit = self.quota(name)
        if limit is not None and used >= limit:
            counts = QUOTA_BY_NAME[name].counts
            raise ServiceQuotaExceededException(
                f"Quota exceeded: at most {limit} {counts}; this request would create one more"
            )

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "denied": sorted(self.denied),
                "pendingVerification": sorted(self.pending_verification),
                "quotas": dict(self.quotas),
                "faults": self.faults.views(),
            }

    def restore(self) -> None:
        """Denied and pending callers and quotas back to what they were built with (the
        configuration): a reset (choice C35). Faults are cleared by their own reset step."""
        with self._lock:
            denied, pending, quotas = self._configured
            self.denied = set(denied)
            self.pending_verification = set(pending)
            self.quotas = dict(quotas)

    def update(
        self,
        denied: list[str] | None = None,
        pending_verification: list[str] | None = None,
        quotas: dict[str, int | None] | None = None,
    ) -> None:
        """All or nothing: a bad member (an unknown quota name) raises before any change."""
        unknown = set(quotas or ()) - set(QUOTA_BY_NAME)
        if unknown:
            raise ValueError(f"unknown quota names: {sorted(unknown)}")
        with self._lock:
            if denied is not None:
                self.denied = set(denied)
            if pending_verification is not None:
                self.pending_verification = set(pending_verification)
            if quotas is not None:
                self.quotas.update(quotas)
