"""The dispatcher: which function runs an operation, and the region lock it runs under."""

from __future__ import annotations

from ..contract.errors import UnsupportedOperationException
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
from .context import Backend, Handler, Request, Response
from .transactions import transaction

OPERATION_MODULES = (
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
)
"""Each module's HANDLERS maps the operations it implements to their functions."""


def handlers() -> dict[str, Handler]:
    table: dict[str, Handler] = {}
    for module in OPERATION_MODULES:
        table.update(module.HANDLERS)
    return table


class Service:
    """Runs one operation for one caller, under that caller's region lock."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.handlers = handlers()
        unknown = set(self.handlers) - set(backend.contract.operations)
        if unknown:
            raise ValueError(f"handlers for operations the contract does not have: {unknown}")

    def call(self, operation: str, account: str, region: str, request: Request) -> Response:
        handler = self.handlers.get(operation)
        if handler is None:
            raise UnsupportedOperationException(
                f"{operation} is part of the IVS Real-Time API but is not emulated yet"
            )
        with transaction(self.backend, account, region, operation, request) as context:
            return handler(context, request)
