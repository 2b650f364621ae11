"""ImportPublicKey, GetPublicKey, ListPublicKeys and DeletePublicKey through boto3.

Delete, not found and other callers, as for every kind: tests/test_resource_kinds.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from emulator import Config, create_app
from emulator.testing import LiveServer, boto3_client
from tests.helpers import client_error, error_code, error_message, status

WANTED = (
    "1 validation error detected: Value at 'publicKeyMaterial' failed to satisfy constraint: "
    "Member must be an ECDSA P-384 public key in SPKI PEM format"
)
FINGERPRINT = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){15}")


def spki_pem(public_key: Any) -> str:
    return str(
        public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    )


def p384_pem() -> str:
    """A fresh P-384 public key as `openssl ec -pubout` writes it (SPKI, trailing newline)."""
    return spki_pem(ec.generate_private_key(ec.SECP384R1()).public_key())


def pem_body(material: str) -> str:
    return "".join(line for line in material.splitlines() if not line.startswith("-----"))


def pem_of(der: bytes, label: str = "PUBLIC KEY", width: int = 64) -> str:
    text = base64.b64encode(der).decode()
    lines = [text[i : i + width] for i in range(0, len(text), width)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def compressed(pem: str) -> str:
    """The same P-384 key as SPKI with its point compressed (SEC 1, 49 bytes)."""
    key = serialization.load_pem_public_key(pem.encode())
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    return pem_of(bytes.fromhex("3046301006072a8648ce3d020106052b81040022033200") + point)


SPELLINGS: dict[str, Callable[[str], str]] = {
    "as written": lambda pem: pem,
    "without trailing newline": lambda pem: pem.rstrip("\n"),
    "with CRLF": lambda pem: pem.replace("\n", "\r\n"),
    "wrapped at 76": lambda pem: pem_of(base64.b64decode(pem_body(pem)), width=76),
    "compressed point": compressed,
}


def test_import_returns_the_public_key_shape(ivs: Any) -> None:
    material = p384_pem()
    key = ivs.import_public_key(publicKeyMaterial=material, name="signer-1", tags={"t": "v"})[
        "publicKey"
    ]
    assert set(key) == {"arn", "name", "publicKeyMaterial", "fingerprint", "tags"}
    assert (key["name"], key["tags"], key["publicKeyMaterial"]) == (
        "signer-1",
        {"t": "v"},
        material,
    )


def test_public_key_arn_has_the_callers_region_account_and_a_12_character_id(
    make_ivs: Callable[..., Any],
) -> None:
    client = make_ivs(region="eu-west-1", access_key="111122223333")
    arn = client.import_public_key(publicKeyMaterial=p384_pem())["publicKey"]["arn"]
    assert re.fullmatch(r"arn:aws:ivs:eu-west-1:111122223333:public-key/[A-Za-z0-9]{12}", arn)


def test_name_defaults_to_empty_and_tags_to_empty_map(ivs: Any) -> None:
    key = ivs.import_public_key(publicKeyMaterial=p384_pem())["publicKey"]
    assert (key["name"], key["tags"]) == ("", {})


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_material_is_accepted_and_returned_exactly_as_imported(ivs: Any, spelling: str) -> None:
    material = SPELLINGS[spelling](p384_pem())
    key = ivs.import_public_key(publicKeyMaterial=material)["publicKey"]
    assert key["publicKeyMaterial"] == material
    assert ivs.get_public_key(arn=key["arn"])["publicKey"]["publicKeyMaterial"] == material


def test_fingerprint_is_the_md5_of_the_der_spki_as_16_lowercase_hex_octets(ivs: Any) -> None:
    material = p384_pem()
    fingerprint = ivs.import_public_key(publicKeyMaterial=material)["publicKey"]["fingerprint"]
    assert FINGERPRINT.fullmatch(fingerprint)
    der = base64.b64decode(pem_body(material))
    assert fingerprint == ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())


def test_fingerprint_does_not_depend_on_the_pem_spelling(make_ivs: Callable[..., Any]) -> None:
    material = p384_pem()
    fingerprints = {
        make_ivs(region=f"eu-west-{n}").import_public_key(publicKeyMaterial=spell(material))[
            "publicKey"
        ]["fingerprint"]
        for n, spell in enumerate(SPELLINGS.values(), start=1)
    }
    assert len(fingerprints) == 1


def test_get_returns_what_import_returned(ivs: Any) -> None:
    imported = ivs.import_public_key(publicKeyMaterial=p384_pem(), name="k", tags={"a": "b"})
    assert (
        ivs.get_public_key(arn=imported["publicKey"]["arn"])["publicKey"] == (imported["publicKey"])
    )


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_importing_the_same_key_again_is_a_conflict_whatever_the_spelling(
    ivs: Any, spelling: str
) -> None:
    material = p384_pem()
    first = ivs.import_public_key(publicKeyMaterial=material)["publicKey"]
    error = client_error(ivs.import_public_key, publicKeyMaterial=SPELLINGS[spelling](material))
    assert (error_code(error), status(error)) == ("ConflictException", 409)
    assert first["arn"] in error_message(error)


def test_the_same_key_may_be_imported_in_another_region_and_account(
    make_ivs: Callable[..., Any],
) -> None:
    material = p384_pem()
    arns = {
        make_ivs(region=region, access_key=account).import_public_key(publicKeyMaterial=material)[
            "publicKey"
        ]["arn"]
        for region, account in [
            ("us-east-1", "111111111111"),
            ("us-west-2", "111111111111"),
            ("us-east-1", "222222222222"),
        ]
    }
    assert len(arns) == 3


def test_a_deleted_key_may_be_imported_again_under_a_new_arn(ivs: Any) -> None:
    material = p384_pem()
    first = ivs.import_public_key(publicKeyMaterial=material)["publicKey"]["arn"]
    ivs.delete_public_key(arn=first)
    second = ivs.import_public_key(publicKeyMaterial=material)["publicKey"]["arn"]
    assert second != first


def test_list_is_empty_before_any_import(ivs: Any) -> None:
    listed = ivs.list_public_keys()
    assert listed["publicKeys"] == []
    assert "nextToken" not in listed


def test_list_gives_summaries_with_arn_name_and_tags(ivs: Any) -> None:
    key = ivs.import_public_key(publicKeyMaterial=p384_pem(), name="n", tags={"k": "v"})
    arn = key["publicKey"]["arn"]
    assert ivs.list_public_keys()["publicKeys"] == [{"arn": arn, "name": "n", "tags": {"k": "v"}}]


def test_list_pages_through_every_key_in_import_order(ivs: Any) -> None:
    arns = [
        ivs.import_public_key(publicKeyMaterial=p384_pem())["publicKey"]["arn"] for _ in range(5)
    ]
    seen: list[str] = []
    request: dict[str, Any] = {"maxResults": 2}
    pages = 0
    while True:
        listed = ivs.list_public_keys(**request)
        pages += 1
        seen += [k["arn"] for k in listed["publicKeys"]]
        if "nextToken" not in listed:
            break
        request["nextToken"] = listed["nextToken"]
    assert (seen, pages) == (arns, 3)


def test_botocore_paginator_lists_every_key(ivs: Any) -> None:
    arns = [
        ivs.import_public_key(publicKeyMaterial=p384_pem())["publicKey"]["arn"] for _ in range(3)
    ]
    pages = ivs.get_paginator("list_public_keys").paginate(PaginationConfig={"PageSize": 1})
    assert [k["arn"] for page in pages for k in page["publicKeys"]] == arns


def test_a_next_token_of_list_stages_is_refused_by_list_public_keys(ivs: Any) -> None:
    for _ in range(2):
        ivs.create_stage()
    token = ivs.list_stages(maxResults=1)["nextToken"]
    error = client_error(ivs.list_public_keys, nextToken=token)
    assert error_code(error) == "ValidationException"
    assert "'nextToken'" in error_message(error)


def _refused(ivs_unchecked: Any, material: str) -> str:
    error = client_error(ivs_unchecked.import_public_key, publicKeyMaterial=material)
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    return error_message(error)


@pytest.mark.parametrize(
    ("make_key", "why"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "an EC key on curve P-256"),
        (lambda: ec.generate_private_key(ec.SECP521R1()), "an EC key on curve P-521"),
        (lambda: ec.generate_private_key(ec.SECP256K1()), "an EC key on curve secp256k1"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "an RSA key"),
        (ed25519.Ed25519PrivateKey.generate, "an Ed25519 key"),
    ],
    ids=["P-256", "P-521", "secp256k1", "RSA", "Ed25519"],
)
def test_keys_other_than_p384_are_refused_saying_what_they_are(
    ivs_unchecked: Any, make_key: Callable[[], Any], why: str
) -> None:
    message = _refused(ivs_unchecked, spki_pem(make_key().public_key()))
    assert message == f"{WANTED} (the key given is {why})"


def test_a_body_that_is_not_base64_is_refused(ivs_unchecked: Any) -> None:
    message = _refused(ivs_unchecked, "-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----")
    assert message == f"{WANTED} (the text between the BEGIN and END lines is not valid base64)"


def test_a_body_that_is_not_a_subject_public_key_info_is_refused(ivs_unchecked: Any) -> None:
    message = _refused(ivs_unchecked, pem_of(b"\x00" * 48))
    assert message == f"{WANTED} (the PEM body is not a DER-encoded SubjectPublicKeyInfo)"


def test_a_private_key_labelled_public_is_refused(ivs_unchecked: Any) -> None:
    private = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    message = _refused(ivs_unchecked, pem_of(private))
    assert message == f"{WANTED} (the PEM body is not a DER-encoded SubjectPublicKeyInfo)"


@pytest.mark.parametrize("label", ["PRIVATE KEY", "EC PRIVATE KEY", "EC PUBLIC KEY"])
def test_pems_that_are_not_begin_public_key_fail_the_models_pattern(
    ivs_unchecked: Any, label: str
) -> None:
    der = base64.b64decode(pem_body(p384_pem()))
    message = _refused(ivs_unchecked, pem_of(der, label=label))
    assert message.startswith("1 validation error detected: Value '")
    assert "Member must satisfy regular expression pattern: .*-----BEGIN PUBLIC KEY-----" in message


def test_refused_material_leaves_nothing_behind(ivs_unchecked: Any) -> None:
    _refused(ivs_unchecked, spki_pem(ec.generate_private_key(ec.SECP256R1()).public_key()))
    assert ivs_unchecked.list_public_keys()["publicKeys"] == []


def test_public_key_quota_is_off_unless_set_then_gives_402() -> None:
    with LiveServer(create_app(Config(public_key_quota=1))) as server:
        client = boto3_client(server.url)
        client.import_public_key(publicKeyMaterial=p384_pem())
        error = client_error(client.import_public_key, publicKeyMaterial=p384_pem())
        assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)
        assert boto3_client(server.url, region="eu-west-1").import_public_key(
            publicKeyMaterial=p384_pem()
        )


def test_many_keys_import_without_a_quota(ivs: Any) -> None:
    for _ in range(12):
        ivs.import_public_key(publicKeyMaterial=p384_pem())
    assert len(ivs.list_public_keys()["publicKeys"]) == 12


def test_conflict_comes_before_the_quota() -> None:
    with LiveServer(create_app(Config(public_key_quota=1))) as server:
        client = boto3_client(server.url)
        material = p384_pem()
        client.import_public_key(publicKeyMaterial=material)
        error = client_error(client.import_public_key, publicKeyMaterial=material)
        assert error_code(error) == "ConflictException"
