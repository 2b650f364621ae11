"""Public keys for self-signed tokens: ImportPublicKey, GetPublicKey, ListPublicKeys and
DeletePublicKey.

Only an ECDSA P-384 key in SPKI PEM is accepted (choice C16 in contract/README.md); its
fingerprint is the MD5 of its DER SubjectPublicKeyInfo (choice C17). Tokens signed with the
private half are verified by service/admission.py until the key is deleted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

from ..contract.errors import ConflictException, ValidationException
from ..contract.validation import invalid, violation
from ..state.store import PublicKeyRecord
from .context import Context, Handler, Request, Response
from .finders import find_public_key
from .paging import paginate, with_next_token

_PEM_BLOCK = re.compile(
    r"-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)\r?\n-----END PUBLIC KEY-----"
)
_WANTED = "Member must be an ECDSA P-384 public key in SPKI PEM format"
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_KEY_KINDS: tuple[tuple[type[Any], str], ...] = (
    (rsa.RSAPublicKey, "an RSA key"),
    (dsa.DSAPublicKey, "a DSA key"),
    (ed25519.Ed25519PublicKey, "an Ed25519 key"),
    (ed448.Ed448PublicKey, "an Ed448 key"),
    (x25519.X25519PublicKey, "an X25519 key"),
    (x448.X448PublicKey, "an X448 key"),
)


def _refuse(why: str) -> ValidationException:
    """The ValidationException of key material that is not what ImportPublicKey takes (C16)."""
    return invalid(violation("publicKeyMaterial", f"{_WANTED} ({why})"))


def read_public_key(material: str) -> ec.EllipticCurvePublicKey:
    """The P-384 public key of a PEM that already matched the contract's pattern (choice C16).

    The first `BEGIN PUBLIC KEY` block is read; text the pattern admits around it is ignored.
    Raises ValidationException saying what the material holds instead.
    """
    block = _PEM_BLOCK.search(material)
    if block is None:  # the generic validator's pattern check makes this unreachable
        raise _refuse("no BEGIN PUBLIC KEY block")
    body = block.group(1).replace("\r", "").replace("\n", "")
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("the text between the BEGIN and END lines is not valid base64") from None
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise _refuse("the PEM body is not a DER-encoded SubjectPublicKeyInfo") from None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP384R1):
            return key
        curve = _CURVE_NAMES.get(key.curve.name, key.curve.name)
        raise _refuse(f"the key given is an EC key on curve {curve}")
    kind = next((name for cls, name in _KEY_KINDS if isinstance(key, cls)), "another kind of key")
    raise _refuse(f"the key given is {kind}")


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    """The key as canonical DER SubjectPublicKeyInfo (uncompressed point)."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(der: bytes) -> str:
    """16 lowercase hex octets joined by ':': the MD5 of the DER SPKI (choice C17)."""
    digest = hashlib.md5(der, usedforsecurity=False).digest()
    return ":".join(f"{octet:02x}" for octet in digest)


def describe_public_key(record: PublicKeyRecord) -> dict[str, Any]:
    """A public key as the PublicKey output shape has it."""
    return {
        "arn": record.arn,
        "name": record.name,
        "publicKeyMaterial": record.public_key_material,
        "fingerprint": record.fingerprint,
        "tags": dict(record.tags),
    }


def summarise_public_key(record: PublicKeyRecord) -> dict[str, Any]:
    """A public key as the PublicKeySummary output shape has it."""
    return {"arn": record.arn, "name": record.name, "tags": dict(record.tags)}


def import_public_key(context: Context, request: Request) -> Response:
    """Keep a P-384 public key; the same key twice in one account and region is a conflict,
    checked before the quota, which is off unless set (choice C16)."""
    material: str = request["publicKeyMaterial"]
    der = spki_der(read_public_key(material))
    state = context.state
    for existing in state.public_keys.values():
        if existing.spki_der == der:
            raise ConflictException(
                f"This public key has already been imported: {existing.arn} "
                f"(fingerprint {existing.fingerprint})"
            )
    context.backend.behaviours.enforce("public_keys", len(state.public_keys))
    key_id, arn = context.new_arn("public-key", state.public_keys, state.deleted_public_keys)
    record = PublicKeyRecord(
        arn=arn,
        name=request.get("name", ""),
        public_key_material=material,
        spki_der=der,
        fingerprint=fingerprint(der),
        tags=dict(request.get("tags", {})),
        created_at=context.now,
        sequence=state.next_sequence(),
    )
    state.public_keys[arn] = record
    return {"publicKey": describe_public_key(record)}


def get_public_key(context: Context, request: Request) -> Response:
    return {"publicKey": describe_public_key(find_public_key(context, request["arn"]))}


def list_public_keys(context: Context, request: Request) -> Response:
    keys = context.state.public_keys
    page, next_token = paginate(context, "ListPublicKeys", keys, request)
    return with_next_token(
        {"publicKeys": [summarise_public_key(record) for record in page]}, next_token
    )


def delete_public_key(context: Context, request: Request) -> Response:
    """Forget the key; tokens signed with it are refused from now on ("public key deleted")."""
    record = find_public_key(context, request["arn"])
    del context.state.public_keys[record.arn]
    context.state.deleted_public_keys.add(record.arn)
    return {}


HANDLERS: dict[str, Handler] = {
    "ImportPublicKey": import_public_key,
    "GetPublicKey": get_public_key,
    "ListPublicKeys": list_public_keys,
    "DeletePublicKey": delete_public_key,
}
