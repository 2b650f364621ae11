"""A collection of records by ARN that also keeps their creation order, so that a List page
starting after a given position costs O(log n + page size) instead of a sort of all records.

Each record has a `sequence` (its creation order in the region). `CreationOrder` is a dict
(ARN -> record) that keeps a sorted list of (sequence, ARN) beside it; a deletion leaves a
stale entry that pages skip, and the list is compacted once stale entries outnumber live ones.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar


class Sequenced(Protocol):
    @property
    def sequence(self) -> int: ...


R = TypeVar("R", bound=Sequenced)


class CreationOrder(dict[str, R]):
    def __init__(self, records: Iterable[tuple[str, R]] | dict[str, R] = ()) -> None:
        super().__init__()
        self._sequences: list[int] = []
        self._keys: list[str] = []
        self._stale = 0
        items = records.items() if isinstance(records, dict) else records
        for key, record in items:
            self[key] = record

    def __setitem__(self, key: str, record: R) -> None:
        previous = self.get(key)
        super().__setitem__(key, record)
        if previous is not None and previous.sequence == record.sequence:
            return
        if previous is not None:
            self._stale += 1
        sequence = record.sequence
        if not self._sequences or sequence > self._sequences[-1]:
            self._sequences.append(sequence)
            self._keys.append(key)
        else:
            at = bisect_right(self._sequences, sequence)
            self._sequences.insert(at, sequence)
            self._keys.insert(at, key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._stale += 1
        if self._stale > len(self) + 64:
            self._compact()

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            record = self[key]
            del self[key]
            return record
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self._sequences, self._keys, self._stale = [], [], 0

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, record in dict(*args, **kwargs).items():
            self[key] = record

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles are rebuilt through __init__, which rebuilds the order.
        return (type(self), (list(self.items()),))

    def after(self, sequence: int, count: int) -> list[R]:
        """Up to `count` records created after `sequence`, oldest first."""
        page: list[R] = []
        at = bisect_right(self._sequences, sequence)
        while at < len(self._keys) and len(page) < count:
            record = self.get(self._keys[at])
            if record is not None and record.sequence == self._sequences[at]:
                page.append(record)
            at += 1
        return page

    def _compact(self) -> None:
        live = [
            (s, k)
            for s, k in zip(self._sequences, self._keys, strict=True)
            if k in self and self[k].sequence == s
        ]
        self._sequences = [s for s, _ in live]
        self._keys = [k for _, k in live]
        self._stale = 0
