"""Participant tokens: the signing key, ES384 JWT issuance and verification, the JWKS.

The service issues tokens signed with AWS KMS (`"alg":"KMS"`, DER signatures); the emulator
signs the same claims with ES384 so any JWT library can verify them (choice C1 in
contract/README.md). The private key never leaves this object and is never logged.

`verify_es384` is the one function that decides whether a token's signature is genuine and
whether it is still current, for the emulator's own tokens and for self-signed ones alike;
time comes from the caller's clock, never from the wall.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from jwt.types import Options

from .contract.timestamps import format_instant

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
        self._header = _segment({"alg": ALGORITHM, "typ": "JWT", "kid": self.kid})
        """The first segment of every token this key signs."""

    @classmethod
    def generate(cls) -> TokenSigner:
        return cls(ec.generate_private_key(ec.SECP384R1()))

    @classmethod
    def from_pem_file(cls, path: str | Path) -> TokenSigner:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold an EC private key")
        return cls(key)

    @classmethod
    def from_pem(cls, pem: bytes) -> TokenSigner:
        """The signer of a PEM private key as `private_pem` writes it (the state directory)."""
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the PEM does not hold an EC private key")
        return cls(key)

    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM, for the state directory to keep."""
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

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
        signing_input = self._header + b"." + _segment(claims)
        signature = _ES384.sign(signing_input, self._private_key)
        return (signing_input + b"." + _b64url(signature)).decode()

    def verify(
        self, token: str, *, now: datetime, required: Iterable[str] = ("exp",)
    ) -> dict[str, Any]:
        """The claims of a token this key signed, if it is genuine and current at `now`."""
        return verify_es384(token, self.public_key, now=now, required=required)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [{**self._jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}


class TokenError(Exception):
    """Root of the reasons a token is refused; `reason` is written for the token's user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedToken(TokenError):
    """Not a compact JWS with a JSON header and a JSON object payload, or a claim missing."""


class WrongAlgorithm(TokenError):
    """Signed (or not) with an algorithm other than ES384."""


class BadSignature(TokenError):
    """The signature does not verify with the key the header names."""


class ExpiredToken(TokenError):
    """The token's `exp` is not after the clock's now."""


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, read without checking anything else.

    Only for choosing the key to verify with; nothing in it is trusted before verify_es384.
    """
    try:
        return dict(jwt.get_unverified_header(token))
    except jwt.InvalidTokenError as error:
        raise MalformedToken(f"not a JSON Web Token: {error}") from None


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, read without verifying its signature.

    Only for finding which account and region's state will judge the token.
    """
    try:
        return dict(jwt.decode(token, options={"verify_signature": False}))
    except jwt.InvalidTokenError as error:
        raise MalformedToken(f"not a JSON Web Token: {error}") from None


def check_algorithm(header: dict[str, Any]) -> None:
    """Raise WrongAlgorithm unless the header says ES384 (so `none`, HS384, KMS are refused)."""
    algorithm = header.get("alg")
    if algorithm != ALGORITHM:
        raise WrongAlgorithm(
            f"the token's algorithm is {json.dumps(algorithm)}; participant tokens are "
            f"signed with {ALGORITHM} (ECDSA P-384, SHA-384)"
        )


def verify_es384(
    token: str,
    key: ec.EllipticCurvePublicKey,
    *,
    now: datetime,
    required: Iterable[str] = ("exp",),
) -> dict[str, Any]:
    """The claims of `token` if it is an ES384 compact JWS that `key` signed, whose `required`
    claims are present and whose `exp` is after `now`.

    Raises a TokenError subclass saying which of these failed. The claims' meaning (stage,
    capabilities, lifetime) is the caller's to judge; PyJWT's own time checks are off so that
    the clock is the one passed in: the token is expired from the second `exp` names (C18).
    """
    check_algorithm(unverified_header(token))
    needed = list(dict.fromkeys(["exp", *required]))
    options: Options = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
        "verify_sub": False,
        "verify_jti": False,
        "require": needed,
    }
    try:
        claims = dict(jwt.decode(token, key, algorithms=[ALGORITHM], options=options))
    except jwt.InvalidSignatureError:
        raise BadSignature("the signature does not verify with the signing key") from None
    except jwt.MissingRequiredClaimError as error:
        raise MalformedToken(f"the token has no '{error.claim}' claim") from None
    except jwt.InvalidTokenError as error:
        raise MalformedToken(f"not a valid JSON Web Token: {error}") from None
    expires = claims["exp"]
    if (
        isinstance(expires, bool)
        or not isinstance(expires, int | float)
        or not math.isfinite(expires)
    ):
        raise MalformedToken("the 'exp' claim is not a number of seconds since the epoch")
    if now.timestamp() >= expires:
        raise ExpiredToken(
            f"the token expired at {_instant(expires)}; it is now {_instant(now.timestamp())}"
        )
    return claims


def _instant(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC (choice C10), for messages."""
    try:
        return format_instant(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return f"{seconds} seconds after the epoch"
