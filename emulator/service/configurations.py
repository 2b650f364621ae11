"""What encoder and storage configurations share: a named, tagged record per region that is
created under a quota, found by ARN, listed in creation order and deleted unless something
uses it (ConflictException, choice C23)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..contract.errors import ResourceNotFoundException
from ..state.store import EncoderConfigurationRecord, RegionState, StorageConfigurationRecord
from .context import Context, Handler, Request, Response
from .in_use import refuse_if_in_use
from .paging import paginate, with_next_token

R = TypeVar("R", EncoderConfigurationRecord, StorageConfigurationRecord)


@dataclass(frozen=True)
class ConfigurationKind(Generic[R]):
    noun: str
    """As messages name it: "Encoder configuration"."""
    resource: str
    """As operations and output members name it: "EncoderConfiguration"."""
    arn_type: str
    quota: str
    records: Callable[[RegionState], dict[str, R]]
    make: Callable[..., R]
    describe: Callable[[R], dict[str, Any]]
    summarise: Callable[[R], dict[str, Any]]

    @property
    def member(self) -> str:
        return self.resource[0].lower() + self.resource[1:]

    def find(self, context: Context, arn: str) -> R:
        """The caller's record with this ARN; deleted ones and other callers' are not found."""
        record = self.records(context.state).get(arn)
        if record is None:
            raise ResourceNotFoundException(f"{self.noun} not found: {arn}")
        return record

    def create(self, context: Context, request: Request, **settings: Any) -> Response:
        """Keep a new record with `settings`, once the quota allows one more."""
        records = self.records(context.state)
        context.backend.behaviours.enforce(self.quota, len(records))
        _, arn = context.new_arn(self.arn_type, records)
        record = self.make(
            arn=arn,
            name=request.get("name", ""),
            tags=dict(request.get("tags", {})),
            created_at=context.now,
            sequence=context.state.next_sequence(),
            **settings,
        )
        records[arn] = record
        return {self.member: self.describe(record)}

    def get(self, context: Context, request: Request) -> Response:
        return {self.member: self.describe(self.find(context, request["arn"]))}

    def list(self, context: Context, request: Request) -> Response:
        """Summaries in creation order, a page at a time."""
        records = self.records(context.state)
        page, next_token = paginate(context, f"List{self.resource}s", records, request)
        summaries = [self.summarise(record) for record in page]
        return with_next_token({f"{self.member}s": summaries}, next_token)

    def delete(self, context: Context, request: Request) -> Response:
        """Forget the record unless something uses it (ConflictException, choice C23)."""
        record = self.find(context, request["arn"])
        refuse_if_in_use(context, record.arn, self.noun)
        del self.records(context.state)[record.arn]
        return {}

    def handlers(self, create: Handler) -> dict[str, Handler]:
        return {
            f"Create{self.resource}": create,
            f"Get{self.resource}": self.get,
            f"List{self.resource}s": self.list,
            f"Delete{self.resource}": self.delete,
        }
