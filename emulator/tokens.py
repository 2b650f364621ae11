"""Participant tokens: the signing key, ES384 JWT issuance and the published JWKS.

The service issues tokens signed with AWS KMS (`"alg":"KMS"`, DER signatures); the emulator
signs the same claims with ES384 so any JWT library can verify them (choice C1 in
contract/README.md). The private key never leaves this object and is never logged.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ALGORITHM = "ES384"


_ES384 = ECAlgorithm(ECAlgorithm.SHA384)


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _segment(obj: dict[str, Any]) -> bytes:
    """One JWS segment: compact JSON in the given key order, base64url without padding."""
    return _b64url(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def _b64url_uint(value: int, size: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(size, "big")).rstrip(b"=").decode()


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public key as a JWK with the members RFC 7638 hashes (crv, kty, x, y)."""
    numbers = key.public_numbers()
    size = (key.curve.key_size + 7) // 8
    return {
        "crv": "P-384",
        "kty": "EC",
        "x": _b64url_uint(numbers.x, size),
        "y": _b64url_uint(numbers.y, size),
    }


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url without padding)."""
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    return (
        base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    )


class TokenSigner:
    """Signs participant tokens with one EC P-384 key and publishes its public half."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP384R1):
            raise ValueError("the signing key must be an EC P-384 (secp384r1) private key")
        self._private_key = private_key
        self._jwk = public_jwk(private_key.public_key())
        self.kid = thumbprint(self._jwk)

    @classmethod
    def generate(cls) -> TokenSigner:
        return cls(ec.generate_private_key(ec.SECP384R1()))

    @classmethod
    def from_pem_file(cls, path: str | Path) -> TokenSigner:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold an EC private key")
        return cls(key)

    def __repr__(self) -> str:
        return f"TokenSigner(kid={self.kid!r})"

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._private_key.public_key()

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of `claims`, header {"alg":"ES384","typ":"JWT","kid":<thumbprint>}.

        Built here rather than by jwt.encode so that header and claims keep the service's
        key order (alg before typ; claims as given).
        """
        header = {"alg": ALGORITHM, "typ": "JWT", "kid": self.kid}
        signing_input = _segment(header) + b"." + _segment(claims)
        signature = _ES384.sign(signing_input, self._private_key)
        return (signing_input + b"." + _b64url(signature)).decode()

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [{**self._jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}
