"""Delete, not found and other callers, alike for every kind of resource that has its own
Create, Get, List and Delete: stages, public keys, encoder, storage and ingest configurations.

Each test runs once per kind, through boto3 against a live server. What only one kind does on
delete (a stage's sessions, a configuration in use, an active ingest) is tested in its own
module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.helpers import client_error, error_code, error_message, status
from tests.stage_player import public_pem


@dataclass(frozen=True)
class Kind:
    """One kind of resource: how to create one, and the names of its operations and members."""

    name: str  # as in the operation names: GetStage, DeleteEncoderConfiguration, ...
    noun: str  # as in its not-found message
    member: str  # the member Get... answers with
    plural: str  # the member List... answers with
    new: Callable[[Any], Any]  # creates one with this client; the response
    missing_arn: str  # well formed, never issued

    def create(self, ivs: Any) -> str:
        return str(self.new(ivs)[self.member]["arn"])

    def get(self, ivs: Any, arn: str) -> Any:
        return getattr(ivs, f"get_{self.name}")(arn=arn)

    def delete(self, ivs: Any, arn: str) -> Any:
        return getattr(ivs, f"delete_{self.name}")(arn=arn)

    def listed(self, ivs: Any) -> list[str]:
        return [item["arn"] for item in getattr(ivs, f"list_{self.name}s")()[self.plural]]


def missing(resource: str) -> str:
    return f"arn:aws:ivs:us-east-1:123456789012:{resource}/abcdABCDefgh"


KINDS = [
    Kind(
        "stage",
        "Stage",
        "stage",
        "stages",
        lambda ivs: ivs.create_stage(),
        missing("stage"),
    ),
    Kind(
        "public_key",
        "Public key",
        "publicKey",
        "publicKeys",
        lambda ivs: ivs.import_public_key(
            publicKeyMaterial=public_pem(ec.generate_private_key(ec.SECP384R1()))
        ),
        missing("public-key"),
    ),
    Kind(
        "encoder_configuration",
        "Encoder configuration",
        "encoderConfiguration",
        "encoderConfigurations",
        lambda ivs: ivs.create_encoder_configuration(),
        missing("encoder-configuration"),
    ),
    Kind(
        "storage_configuration",
        "Storage configuration",
        "storageConfiguration",
        "storageConfigurations",
        lambda ivs: ivs.create_storage_configuration(s3={"bucketName": "recordings"}),
        missing("storage-configuration"),
    ),
    Kind(
        "ingest_configuration",
        "Ingest configuration",
        "ingestConfiguration",
        "ingestConfigurations",
        lambda ivs: ivs.create_ingest_configuration(ingestProtocol="RTMPS"),
        missing("ingest-configuration"),
    ),
]

each_kind = pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)


@each_kind
def test_delete_answers_an_empty_body(ivs: Any, kind: Kind) -> None:
    response = kind.delete(ivs, kind.create(ivs))
    assert response.pop("ResponseMetadata")["HTTPStatusCode"] == 200
    assert response == {}


@each_kind
def test_delete_then_get_is_not_found_404(ivs: Any, kind: Kind) -> None:
    arn = kind.create(ivs)
    kind.delete(ivs, arn)
    error = client_error(kind.get, ivs, arn)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
    assert error_message(error) == f"{kind.noun} not found: {arn}"


@each_kind
def test_deleting_twice_is_not_found(ivs: Any, kind: Kind) -> None:
    arn = kind.create(ivs)
    kind.delete(ivs, arn)
    error = client_error(kind.delete, ivs, arn)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


@each_kind
def test_a_deleted_resource_is_no_longer_listed(ivs: Any, kind: Kind) -> None:
    kept = kind.create(ivs)
    kind.delete(ivs, kind.create(ivs))
    assert kind.listed(ivs) == [kept]


@each_kind
def test_an_arn_never_issued_is_not_found(ivs: Any, kind: Kind) -> None:
    for call in (kind.get, kind.delete):
        error = client_error(call, ivs, kind.missing_arn)
        assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


@each_kind
def test_another_account_or_region_cannot_see_it(make_ivs: Callable[..., Any], kind: Kind) -> None:
    arn = kind.create(make_ivs())
    for other in (make_ivs(region="eu-west-1"), make_ivs(access_key="999999999999")):
        for call in (kind.get, kind.delete):
            assert error_code(client_error(call, other, arn)) == "ResourceNotFoundException"
        assert kind.listed(other) == []
    assert kind.get(make_ivs(), arn)[kind.member]["arn"] == arn  # the owner still sees it
