"""What every operation receives: the shared dependencies (Backend) and the caller's Context.

A handler takes a Context (the caller's account and region, that pair's state, the time of
the call and the shared dependencies) and the validated request as a dict, and returns the
response as a dict shaped like the operation's output.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..contract.model import Contract
from ..controls.behaviours import Behaviours
from ..controls.clock import Clock
from ..controls.ids import IdGenerator
from ..state.store import RegionState, Store
from ..tokens import TokenSigner

if TYPE_CHECKING:
    from .transactions import Commit


@dataclass(frozen=True)
class Backend:
    """Everything a handler may use besides its own region's state."""

    contract: Contract
    store: Store
    signer: TokenSigner
    clock: Clock
    ids: IdGenerator
    behaviours: Behaviours
    observers: list[Callable[[Commit], None]] = field(default_factory=list)
    """Called with every write's Commit, in commit order per region, under the region's lock
    (emulator/service/transactions.py): persistence, events and the data plane listen here."""
    lists_not_found: bool = False
    """ListStageSessions, ListParticipants and ListParticipantEvents answer
    ResourceNotFoundException for an unknown stage, session or participant instead of an
    empty list (`--lists-not-found`; choice C28)."""
    data_plane_endpoints: Mapping[str, str] | None = None
    """The `events` and `whip` endpoints of the emulator's data plane, when it runs
    (--data-plane, emulator/dataplane/): stages name them instead of the service's (C56)."""

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
