"""Paging for every List operation: page size, stable order and signed `nextToken` values.

Items are listed in creation order: each record carries a `sequence` number that its region
hands out once and never again (RegionState.next_sequence). A page holds the first
`maxResults` items after the position the request's `nextToken` names; the token of the next
page names the sequence of the last item returned. Deleting items between two calls therefore
neither repeats nor skips the remaining ones. A log listed newest first (events, sessions)
pages its items through `newest_first`, which reverses the order and keeps that guarantee
(choice C25 in contract/README.md).

A `nextToken` is opaque to clients, fits the model's pattern `[a-zA-Z0-9+/=_-]*`, and is
bound to what it was issued for: an HMAC-SHA256, keyed with the emulator's paging secret,
covers the operation, the caller's account and region, the request's filter values, and the
position. Anything else, a token this emulator did not issue, one altered, or one presented
to another operation, caller or filter, is a ValidationException naming nextToken.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ..contract.errors import ValidationException
from ..contract.validation import invalid, violation
from ..controls.ids import derived_secret
from ..state.ordered import CreationOrder
from .context import Context, Request, Response

TOKEN_VERSION = 1
PAGING_MEMBERS = frozenset({"nextToken", "maxResults"})
_HEADER = struct.Struct(">BQ")  # version, sequence of the last item returned
_MAC_BYTES = hashlib.sha256().digest_size


class Sequenced(Protocol):
    """A record that knows its place in creation order."""

    @property
    def sequence(self) -> int: ...


T = TypeVar("T", bound=Sequenced)

_NEWEST_FIRST_BASE = 2**63
"""Above every sequence a region hands out; newest-first positions count down from it."""


@dataclass(frozen=True)
class NewestFirst(Generic[T]):
    """An item placed for a newest-first listing: its `sequence` is reversed."""

    item: T
    sequence: int


def newest_first(items: Iterable[T]) -> list[NewestFirst[T]]:
    """`items` wrapped so that paginate lists the most recently created first.

    Items created after a page was served sort before its position, so later pages of the
    same listing neither show them nor skip the older ones.
    """
    return [NewestFirst(item, _NEWEST_FIRST_BASE - item.sequence) for item in items]


def paging_secret(seed: int | None) -> bytes:
    """The HMAC key of nextToken values: derived from the seed when there is one (seeded runs
    issue the same tokens), otherwise 32 random bytes."""
    return derived_secret(seed, "paging secret")


def paginate(
    context: Context,
    operation: str,
    items: Iterable[T] | Mapping[str, T],
    request: Request,
    filters: Mapping[str, Any] | None = None,
    default_max: int | None = None,
) -> tuple[list[T], str | None]:
    """One page of `items` for `operation`, and the nextToken of the next page (None at the end).

    `filters` are the request values that select the items; the token is valid only with the
    same values. By default they are every request member except nextToken and maxResults
    (a member sent as null counts as absent).
    `default_max` is the page size when the request has no maxResults; by default the
    documented default of the operation's input shape (a `default` patch in contract/).
    """
    if filters is None:
        filters = {k: v for k, v in request.items() if k not in PAGING_MEMBERS and v is not None}
    binding = _binding(context, operation, filters)
    after = _position(context, operation, request.get("nextToken"), binding, filters)
    size = request.get("maxResults")
    if size is None:
        size = default_max if default_max is not None else _default_page_size(context, operation)
    if isinstance(items, CreationOrder):
        remaining: list[T] = items.after(after, size + 1)  # O(log n + page): the kept order
    else:
        records = items.values() if isinstance(items, Mapping) else items
        remaining = sorted((item for item in records if item.sequence > after), key=_sequence_of)
    page = remaining[:size]
    if len(remaining) <= size:
        return page, None
    return page, _issue(context, binding, page[-1].sequence)


def with_next_token(result: Response, next_token: str | None) -> Response:
    """A List response: `result`, plus `nextToken` when there is a next page."""
    return result if next_token is None else {**result, "nextToken": next_token}


def _sequence_of(item: Sequenced) -> int:
    return item.sequence


def _default_page_size(context: Context, operation: str) -> int:
    contract = context.backend.contract
    shape = contract.operations[operation].input_shape
    default = contract.default(shape, "maxResults") if shape else None
    if not isinstance(default, int):
        raise LookupError(
            f"{operation}: no documented default for maxResults; add a 'default' patch for "
            f"{shape}.maxResults to contract/patches.json"
        )
    return default


def _binding(context: Context, operation: str, filters: Mapping[str, Any]) -> bytes:
    """What a token is bound to, as canonical bytes."""
    scope = [operation, context.account, context.region, dict(filters)]
    return json.dumps(scope, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _mac(context: Context, binding: bytes, header: bytes) -> bytes:
    key = context.backend.paging_secret
    return hmac.new(key, header + b"\0" + binding, hashlib.sha256).digest()


def _issue(context: Context, binding: bytes, after: int) -> str:
    header = _HEADER.pack(TOKEN_VERSION, after)
    return base64.urlsafe_b64encode(header + _mac(context, binding, header)).decode("ascii")


def _position(
    context: Context,
    operation: str,
    token: str | None,
    binding: bytes,
    filters: Mapping[str, Any],
) -> int:
    """The sequence the page starts after: 0 without a token, else the one the token names."""
    if not token:
        return 0
    raw = _decode(token)
    if raw is not None and len(raw) == _HEADER.size + _MAC_BYTES:
        header, mac = raw[: _HEADER.size], raw[_HEADER.size :]
        version, after = _HEADER.unpack(header)
        if version == TOKEN_VERSION and hmac.compare_digest(mac, _mac(context, binding, header)):
            return int(after)
    raise _invalid_token(operation, token, filters)


def _decode(token: str) -> bytes | None:
    """The bytes of a token in the one encoding `_issue` writes, or None."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).decode("ascii") != token:
        return None  # another spelling of the same bytes: not what was issued
    return raw


def _invalid_token(operation: str, token: str, filters: Mapping[str, Any]) -> ValidationException:
    same = " with the same parameters" if filters else ""
    return invalid(
        violation(
            "nextToken",
            f"Member must be a token returned by a previous {operation} call{same}",
            token,
        )
    )
