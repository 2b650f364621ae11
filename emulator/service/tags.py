"""Tagging operations: TagResource, UntagResource and ListTagsForResource.

They work on every taggable resource the emulator holds: the ARN in the path
(`/tags/{resourceArn}`, decoded by the protocol layer) is resolved through
`RegionState.taggable`, whose TAGGABLE mapping names the collection of each resource type.
The generic validator has already checked the ARN's form (the patched ResourceArn pattern),
the size of the request's `tags` and its keys and values; what is left here is behaviour:
finding the resource and the limit on its tags after a merge (choice C20 in contract/README.md).
"""

from __future__ import annotations

from ..contract.errors import ResourceNotFoundException
from ..contract.validation import invalid, violation
from ..state.store import Tagged
from .composition_lifecycle import forget_deleted
from .context import Context, Handler, Request, Response


def find_taggable(context: Context, arn: str) -> Tagged:
    """The caller's resource with this ARN; other accounts, regions and types are not found,
    nor compositions deleted by now (choice C39)."""
    forget_deleted(context.state, context.now)
    record = context.state.taggable(arn)
    if record is None:
        raise ResourceNotFoundException(f"Resource not found: {arn}")
    return record


def max_tags(context: Context) -> int:
    """The most tags one resource may carry: the contract's limit on a request's `tags` map."""
    contract = context.backend.contract
    tags_shape = contract.shape("TagResourceRequest")["members"]["tags"]["shape"]
    return int(contract.shape(tags_shape)["max"])


def tag_resource(context: Context, request: Request) -> Response:
    """Merge the request's tags into the resource's; a key already there takes the new value."""
    record = find_taggable(context, request["resourceArn"])
    merged = {**record.tags, **request["tags"]}
    limit = max_tags(context)
    if len(merged) > limit:
        raise invalid(
            violation("tags", f"Member must have length less than or equal to {limit}", merged)
        )
    record.tags = merged
    return {}


def untag_resource(context: Context, request: Request) -> Response:
    """Remove the given keys from the resource's tags; keys it does not have are ignored."""
    record = find_taggable(context, request["resourceArn"])
    for key in request["tagKeys"]:
        record.tags.pop(key, None)
    return {}


def list_tags_for_resource(context: Context, request: Request) -> Response:
    return {"tags": dict(find_taggable(context, request["resourceArn"]).tags)}


HANDLERS: dict[str, Handler] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
