"""Storage configurations: CreateStorageConfiguration, GetStorageConfiguration,
ListStorageConfigurations and DeleteStorageConfiguration.

The emulator has no S3: any bucket name the model's constraints allow is kept as given, and no
bucket is looked for or written to (choice C22 in contract/README.md). A storage configuration
that a stage records to, or a running composition uses, cannot be deleted (choice C23).
"""

from __future__ import annotations

from typing import Any

from ..errors import ResourceNotFoundException
from ..store import StorageConfigurationRecord
from . import Context, Handler, Request, Response
from .paging import paginate, with_next_token
from .usage import refuse_if_in_use


def find_storage_configuration(context: Context, arn: str) -> StorageConfigurationRecord:
    """The caller's storage configuration with this ARN; deleted ones and other callers' are
    not found."""
    record = context.state.storage_configurations.get(arn)
    if record is None:
        raise ResourceNotFoundException(f"Storage configuration not found: {arn}")
    return record


def describe_storage_configuration(record: StorageConfigurationRecord) -> dict[str, Any]:
    """A storage configuration as the StorageConfiguration output shape has it (the summary
    shape has the same members)."""
    return {
        "arn": record.arn,
        "name": record.name,
        "s3": dict(record.s3),
        "tags": dict(record.tags),
    }


def create_storage_configuration(context: Context, request: Request) -> Response:
    """Keep the bucket name as given (C22); the quota is off unless set."""
    state = context.state
    context.backend.behaviours.enforce(
        "storage_configurations",
        len(state.storage_configurations),
        "storage configurations per region",
    )
    config_id, arn = context.new_arn("storage-configuration", state.storage_configurations)
    record = StorageConfigurationRecord(
        arn=arn,
        name=request.get("name", ""),
        s3={"bucketName": request["s3"]["bucketName"]},
        tags=dict(request.get("tags", {})),
        created_at=context.now,
        sequence=state.next_sequence(),
    )
    state.storage_configurations[arn] = record
    return {"storageConfiguration": describe_storage_configuration(record)}


def get_storage_configuration(context: Context, request: Request) -> Response:
    record = find_storage_configuration(context, request["arn"])
    return {"storageConfiguration": describe_storage_configuration(record)}


def list_storage_configurations(context: Context, request: Request) -> Response:
    """Summaries in creation order; 100 to a page unless maxResults says otherwise (C22)."""
    records = context.state.storage_configurations.values()
    page, next_token = paginate(context, "ListStorageConfigurations", records, request)
    return with_next_token(
        {"storageConfigurations": [describe_storage_configuration(record) for record in page]},
        next_token,
    )


def delete_storage_configuration(context: Context, request: Request) -> Response:
    """Forget the configuration unless a stage records to it or a composition uses it
    (ConflictException, choice C23)."""
    record = find_storage_configuration(context, request["arn"])
    refuse_if_in_use(context, record.arn, "Storage configuration")
    del context.state.storage_configurations[record.arn]
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateStorageConfiguration": create_storage_configuration,
    "GetStorageConfiguration": get_storage_configuration,
    "ListStorageConfigurations": list_storage_configurations,
    "DeleteStorageConfiguration": delete_storage_configuration,
}
