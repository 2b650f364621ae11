"""Storage configurations: CreateStorageConfiguration, GetStorageConfiguration,
ListStorageConfigurations and DeleteStorageConfiguration.

The emulator has no S3: any bucket name the model's constraints allow is kept as given, and no
bucket is looked for or written to (choice C22 in contract/README.md). A storage configuration
that a stage records to, or a running composition uses, cannot be deleted (choice C23).
"""

from __future__ import annotations

from typing import Any

from ..state.store import StorageConfigurationRecord
from .configurations import ConfigurationKind
from .context import Context, Handler, Request, Response


def describe_storage_configuration(record: StorageConfigurationRecord) -> dict[str, Any]:
    """A storage configuration as the StorageConfiguration output shape has it (the summary
    shape has the same members)."""
    return {
        "arn": record.arn,
        "name": record.name,
        "s3": dict(record.s3),
        "tags": dict(record.tags),
    }


STORAGE_CONFIGURATIONS: ConfigurationKind[StorageConfigurationRecord] = ConfigurationKind(
    noun="Storage configuration",
    resource="StorageConfiguration",
    arn_type="storage-configuration",
    quota="storage_configurations",
    records=lambda state: state.storage_configurations,
    make=StorageConfigurationRecord,
    describe=describe_storage_configuration,
    summarise=describe_storage_configuration,
)


def find_storage_configuration(context: Context, arn: str) -> StorageConfigurationRecord:
    return STORAGE_CONFIGURATIONS.find(context, arn)


def create_storage_configuration(context: Context, request: Request) -> Response:
    """Keep the bucket name as given (C22); the quota is off unless set."""
    s3 = {"bucketName": request["s3"]["bucketName"]}
    return STORAGE_CONFIGURATIONS.create(context, request, s3=s3)


HANDLERS: dict[str, Handler] = STORAGE_CONFIGURATIONS.handlers(create_storage_configuration)
