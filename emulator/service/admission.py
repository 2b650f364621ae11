"""Admission: whether a participant token is genuine and current, and whom it lets in where.

`check_token` is the one place that judges a token, whether the emulator issued it (header
`kid` = the thumbprint of the emulator's key) or the user signed it with the private half of a
key imported with ImportPublicKey (`kid` = that public key's ARN). Both kinds pass the same
checks, in this order (choices C18 and C19 in contract/README.md):

1. the header: a compact JWS, `alg` ES384, a `kid`;
2. the key the kid names: the emulator's own, or a public key of the stage's account and
   region that exists (a deleted one is refused by name);
3. the signature and expiry (tokens.verify_es384, with the context's clock);
4. the claims of contract/README.md F2: types, `jti` a participant id, lifetime at most the longest
   token duration (20160 minutes), not issued in the future;
5. the stage: `resource` names an existing stage, `topic` is its id;
6. the caller's further checks (`checks`): a participant disconnected for good, a revoked
   token, ... each a function of the context and the admitted token, run last, in order.

The result is an AdmittedToken or a Refusal whose `reason` a user can read; nothing here
raises for a bad token.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..contract import arns
from ..state.store import StageRecord
from ..tokens import (
    BadSignature,
    ExpiredToken,
    TokenError,
    WrongAlgorithm,
    check_algorithm,
    unverified_claims,
    unverified_header,
    verify_es384,
)
from .context import Backend, Context
from .participant_tokens import CAPABILITY_FLAGS

REQUIRED_CLAIMS = ("exp", "iat", "jti", "resource", "topic", "capabilities", "version")
"""Claims every participant token carries (contract/README.md F2; choice C19)."""

IAT_LEEWAY_SECONDS = 60
"""How far in the future `iat` may be, for clocks a little ahead of the emulator's (C19)."""


class Problem(StrEnum):
    """Why a token was refused, for code that reacts to the kind (JOIN_ERROR events, status)."""

    MALFORMED = "malformed"
    WRONG_ALGORITHM = "wrong_algorithm"
    UNKNOWN_KEY = "unknown_key"
    KEY_DELETED = "key_deleted"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    INVALID_CLAIMS = "invalid_claims"
    NOT_YET_VALID = "not_yet_valid"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    STAGE_NOT_FOUND = "stage_not_found"
    TOPIC_MISMATCH = "topic_mismatch"
    # Refused by the checks a join adds (service/stage_actions.py):
    PARTICIPANT_DISCONNECTED = "participant_disconnected"
    """The jti was removed from the stage by DisconnectParticipant."""
    TOKEN_REVOKED = "token_revoked"
    """The jti was revoked by RevokeConnectionToken."""


@dataclass(frozen=True)
class Refusal:
    """A token that does not admit its bearer, and why in words the bearer can act on."""

    problem: Problem
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class AdmittedToken:
    """A genuine, current token for an existing stage: its claims and who signed it."""

    claims: Mapping[str, Any]
    stage: StageRecord
    key_id: str
    """The kid that verified it: the emulator key's thumbprint or a public-key ARN."""
    self_signed: bool
    """True when signed with an imported public key's private half, not by the emulator."""

    @property
    def participant_id(self) -> str:
        """The participant id: the token's `jti`."""
        return str(self.claims["jti"])

    @property
    def user_id(self) -> str | None:
        value = self.claims.get("user_id")
        return None if value is None else str(value)

    @property
    def attributes(self) -> dict[str, str]:
        return dict(self.claims.get("attributes") or {})

    @property
    def can_publish(self) -> bool:
        """Whether `allow_publish` is granted; an absent flag is not (choice C19)."""
        return self.claims["capabilities"].get("allow_publish") is True

    @property
    def can_subscribe(self) -> bool:
        """Whether `allow_subscribe` is granted; an absent flag is not (choice C19)."""
        return self.claims["capabilities"].get("allow_subscribe") is True

    @property
    def issued_at(self) -> datetime:
        return datetime.fromtimestamp(self.claims["iat"], UTC)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.claims["exp"], UTC)


AdmissionCheck = Callable[[Context, AdmittedToken], Refusal | None]
"""A further check on an admitted token; returns a Refusal to turn the bearer away."""


def token_scope(token: str) -> tuple[str, str] | Refusal:
    """The (account, region) whose state judges `token`: those of its `resource` stage ARN.

    Read before verification, only to know which region's lock to take; check_token then
    verifies everything under that lock.
    """
    try:
        resource = unverified_claims(token).get("resource")
    except TokenError as error:
        return Refusal(Problem.MALFORMED, error.reason)
    parsed = arns.parse(resource) if isinstance(resource, str) else None
    if parsed is None or parsed.resource_type != "stage":
        return Refusal(Problem.INVALID_CLAIMS, "the 'resource' claim is not a stage ARN")
    return parsed.account, parsed.region


def admit(
    backend: Backend, token: str, checks: Iterable[AdmissionCheck] = ()
) -> AdmittedToken | Refusal:
    """check_token in the state of the token's own stage, under that region's lock.

    For callers that only need the verdict; one that changes state on admission (a join)
    takes the lock itself and calls check_token inside it.
    """
    scope = token_scope(token)
    if isinstance(scope, Refusal):
        return scope
    account, region = scope
    state = backend.store.region(account, region)
    with state.lock:
        context = Context(backend, account, region, state, backend.clock.now())
        return check_token(context, token, checks)


def check_token(
    context: Context, token: str, checks: Iterable[AdmissionCheck] = ()
) -> AdmittedToken | Refusal:
    """Judge `token` against the context's account, region, state and clock (see the module
    docstring for the order). The caller holds the region's lock."""
    try:
        header = unverified_header(token)
        check_algorithm(header)
    except WrongAlgorithm as error:
        return Refusal(Problem.WRONG_ALGORITHM, error.reason)
    except TokenError as error:
        return Refusal(Problem.MALFORMED, error.reason)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        return Refusal(Problem.MALFORMED, "the token header has no 'kid' naming its signing key")
    key = _signing_key(context, kid)
    if isinstance(key, Refusal):
        return key
    try:
        claims = verify_es384(token, key, now=context.now, required=REQUIRED_CLAIMS)
    except WrongAlgorithm as error:
        return Refusal(Problem.WRONG_ALGORITHM, error.reason)
    except BadSignature as error:
        return Refusal(Problem.BAD_SIGNATURE, error.reason)
    except ExpiredToken as error:
        return Refusal(Problem.EXPIRED, error.reason)
    except TokenError as error:
        return Refusal(Problem.MALFORMED, error.reason)
    refusal = _claims_refusal(context, claims)
    if refusal is not None:
        return refusal
    stage = context.state.stages.get(claims["resource"])
    if stage is None:
        return Refusal(
            Problem.STAGE_NOT_FOUND,
            f"stage not found: {claims['resource']} (it may have been deleted)",
        )
    if claims["topic"] != stage.stage_id:
        return Refusal(
            Problem.TOPIC_MISMATCH,
            f"the 'topic' claim {claims['topic']!r} is not the id of stage {stage.arn}",
        )
    admitted = AdmittedToken(claims, stage, kid, self_signed=kid != context.backend.signer.kid)
    for check in checks:
        refusal = check(context, admitted)
        if refusal is not None:
            return refusal
    return admitted


def _signing_key(context: Context, kid: str) -> ec.EllipticCurvePublicKey | Refusal:
    """The public key the header's kid names, in the context's account and region (C18)."""
    signer = context.backend.signer
    if kid == signer.kid:
        return signer.public_key
    record = context.state.public_keys.get(kid)
    if record is not None:
        key = serialization.load_der_public_key(record.spki_der)
        assert isinstance(key, ec.EllipticCurvePublicKey)  # ImportPublicKey keeps only these
        return key
    if kid in context.state.deleted_public_keys:
        return Refusal(
            Problem.KEY_DELETED,
            f"public key deleted: {kid}; tokens signed with it are no longer accepted",
        )
    return Refusal(
        Problem.UNKNOWN_KEY,
        f"unknown signing key {kid!r}: neither this emulator's key nor a public key imported "
        f"in account {context.account}, region {context.region}",
    )


def _claims_refusal(context: Context, claims: Mapping[str, Any]) -> Refusal | None:
    """A Refusal when the claims break contract/README.md F2 or the lifetime rules (choice C19)."""
    problem = _claims_problem(context, claims)
    if problem is not None:
        return Refusal(Problem.INVALID_CLAIMS, problem)
    issued, expires = claims["iat"], claims["exp"]
    if issued > context.now.timestamp() + IAT_LEEWAY_SECONDS:
        return Refusal(Problem.NOT_YET_VALID, "the token's 'iat' is in the future")
    longest = _contract_limit(context, "ParticipantTokenDurationMinutes", "max") * 60
    if expires - issued > longest:
        return Refusal(
            Problem.LIFETIME_TOO_LONG,
            f"the token lives {expires - issued:g} seconds ('exp' - 'iat'); at most "
            f"{longest} seconds ({longest // 60} minutes) are allowed",
        )
    return None


def _claims_problem(context: Context, claims: Mapping[str, Any]) -> str | None:
    """What is wrong with the claims' types and values, or None."""
    if not _unicode(claims):
        return "the claims hold a string that is not valid Unicode (a lone surrogate)"
    if not _is_number(claims["iat"]):
        return "the 'iat' claim is not a number of seconds since the epoch"
    if claims["exp"] <= claims["iat"]:
        return "the 'exp' claim is not after 'iat'"
    jti = claims["jti"]
    longest_id = _contract_limit(context, "ParticipantTokenId", "max")
    if not isinstance(jti, str) or not 1 <= len(jti) <= longest_id or not _id_chars(jti):
        return f"the 'jti' claim must be 1 to {longest_id} characters [a-zA-Z0-9-_]"
    for name in ("resource", "topic", "version"):
        if not isinstance(claims[name], str):
            return f"the '{name}' claim is not a string"
    capabilities = claims["capabilities"]
    if not isinstance(capabilities, dict) or not all(
        isinstance(capabilities.get(flag, False), bool) for flag in CAPABILITY_FLAGS.values()
    ):
        return (
            "the 'capabilities' claim must be an object whose 'allow_publish' and "
            "'allow_subscribe', where present, are booleans"
        )
    for name in ("events_url", "whip_url"):
        if name in claims and not isinstance(claims[name], str):
            return f"the '{name}' claim is not a string"
    return _user_problem(context, claims)


def _user_problem(context: Context, claims: Mapping[str, Any]) -> str | None:
    """What is wrong with the optional `user_id` and `attributes`, or None."""
    user_id = claims.get("user_id")
    longest_user = _contract_limit(context, "ParticipantTokenUserId", "max")
    if user_id is not None and (not isinstance(user_id, str) or len(user_id) > longest_user):
        return f"the 'user_id' claim must be a string of at most {longest_user} characters"
    attributes = claims.get("attributes")
    if attributes is None:
        return None
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        return "the 'attributes' claim must map strings to strings"
    limit = _contract_limit(context, "ParticipantTokenAttributes", "maxTotalUtf8Bytes")
    size = sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())
    if size > limit:  # counted as choice C3 counts it
        return f"the 'attributes' claim holds {size} bytes of keys and values; at most {limit}"
    return None


def _is_number(value: Any) -> bool:
    """A finite JSON number (JSON parsers in Python also read NaN and Infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _unicode(value: Any) -> bool:
    """Whether every string in `value` (keys too) can be written as UTF-8; walked without
    recursion, as a JSON value may nest deeply."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
        elif isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _id_chars(value: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "-_") for c in value)


def _contract_limit(context: Context, shape: str, key: str) -> int:
    return int(context.backend.contract.shape(shape)[key])
