"""The service layer: one plain function per operation, and the dispatcher that calls them.

A handler takes a Context (the caller's account and region, that pair's state, and the shared
dependencies) and the validated request as a dict, and returns the response as a dict shaped
like the operation's output. No Flask, no JSON, no HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..behaviours import Behaviours
from ..clock import Clock
from ..contract import Contract
from ..errors import UnsupportedOperationException
from ..ids import IdGenerator
from ..store import RegionState, Store
from ..tokens import TokenSigner


@dataclass(frozen=True)
class Backend:
    """Everything a handler may use besides its own region's state."""

    contract: Contract
    store: Store
    signer: TokenSigner
    clock: Clock
    ids: IdGenerator
    behaviours: Behaviours

    @property
    def paging_secret(self) -> bytes:
        """Key of the HMAC that binds nextToken values to this emulator (service/paging.py);
        it follows the id generator's seed, re-seeding included (choice C34)."""
        return self.ids.paging_secret


@dataclass(frozen=True)
class Context:
    backend: Backend
    account: str
    region: str
    state: RegionState
    now: datetime

    def arn(self, resource_type: str, resource_id: str) -> str:
        return f"arn:aws:ivs:{self.region}:{self.account}:{resource_type}/{resource_id}"

    def new_arn(self, resource_type: str, *taken: Container[str]) -> tuple[str, str]:
        """A fresh resource id and its ARN for this caller, not already in any of `taken`."""
        while True:
            resource_id = self.backend.ids.resource_id()
            arn = self.arn(resource_type, resource_id)
            if not any(arn in collection for collection in taken):
                return resource_id, arn


Request = dict[str, Any]
Response = dict[str, Any]
Handler = Callable[[Context, Request], Response]


def _handlers() -> dict[str, Handler]:
    from . import (
        compositions,
        encoder_configurations,
        ingest_configurations,
        participant_tokens,
        participants,
        public_keys,
        replication,
        stages,
        storage_configurations,
        tags,
    )

    handlers: dict[str, Handler] = {}
    for module in (
        stages,
        participant_tokens,
        public_keys,
        tags,
        encoder_configurations,
        storage_configurations,
        participants,
        compositions,
        ingest_configurations,
        replication,
    ):
        handlers.update(module.HANDLERS)
    return handlers


class Service:
    """Runs one operation for one caller, under that caller's region lock."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.handlers = _handlers()
        unknown = set(self.handlers) - set(backend.contract.operations)
        if unknown:
            raise ValueError(f"handlers for operations the contract does not have: {unknown}")

    def call(self, operation: str, account: str, region: str, request: Request) -> Response:
        handler = self.handlers.get(operation)
        if handler is None:
            raise UnsupportedOperationException(
                f"{operation} is part of the IVS Real-Time API but is not emulated yet"
            )
        state = self.backend.store.region(account, region)
        with state.lock:
            context = Context(self.backend, account, region, state, self.backend.clock.now())
            return handler(context, request)
