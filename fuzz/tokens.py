"""Self-signed participant tokens: ES384 JWTs signed with the fuzzer's own key (fuzz/keys.py),
whose public key the run imports with ImportPublicKey, so that a token naming that key's ARN
as `kid` reaches the emulator's claim checks. Claims and header are drawn valid, then often
broken: numbers too large or not numbers, `Infinity`, strings where objects go, members
missing, another algorithm. Signatures are deterministic (RFC 6979), so a seed repeats.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from .keys import SIGNING_KEY
from .values import NUMBERS, WEIRD_STRINGS, Pool

CLOCK_START = 1767225600
"""2026-01-01T00:00:00Z, where the emulator the fuzzer starts has its clock."""
STAGE = "arn:aws:ivs:us-east-1:123456789012:stage/fuzzstage001"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = (
        _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    ).encode("ascii")
    der = SIGNING_KEY.sign(signing_input, ec.ECDSA(hashes.SHA384(), deterministic_signing=True))
    r, s = utils.decode_dss_signature(der)
    return signing_input.decode("ascii") + "." + _b64(r.to_bytes(48, "big") + s.to_bytes(48, "big"))


def self_signed(rng: random.Random, pool: Pool) -> str:
    stages = list(pool.arns.get("stage", ())) or [STAGE]
    keys = list(pool.arns.get("public-key", ())) or [
        "arn:aws:ivs:us-east-1:123456789012:public-key/none"
    ]
    stage = rng.choice(stages)
    now = CLOCK_START + rng.choice([0, 0, 3600, -86_400, 86_400 * 30])
    claims: dict[str, Any] = {
        "exp": now + rng.choice([60, 3600, 43_200, 1_209_600, 1_209_601]),
        "iat": now,
        "jti": f"fuzz{rng.randrange(10**8)}",
        "resource": stage,
        "topic": stage.rsplit("/", 1)[-1],
        "events_url": "wss://global.events.live-video.net",
        "whip_url": "https://example.global-bm.whip.live-video.net",
        "capabilities": {"allow_publish": rng.random() < 0.7, "allow_subscribe": True},
        "version": "1.0",
    }
    if rng.random() < 0.5:
        claims["user_id"] = rng.choice(["alice", "", "x" * 200, *WEIRD_STRINGS[:6]])
    if rng.random() < 0.3:
        claims["attributes"] = rng.choice([{"a": "b"}, {"k": "v" * 2000}, {"a": 1}, [], "x"])
    header: dict[str, Any] = {"alg": "ES384", "typ": "JWT", "kid": rng.choice(keys)}
    for _ in range(rng.choice([0, 1, 1, 2])):
        name = rng.choice([*claims, "nbf", "extra"])
        if rng.random() < 0.15:
            claims.pop(name, None)
        else:
            claims[name] = rng.choice(
                [*NUMBERS, float("inf"), float("-inf"), "1", None, True, [], {}, {"x": 1}]
            )
    if rng.random() < 0.1:
        header[rng.choice(["alg", "kid", "typ"])] = rng.choice(
            ["none", "HS256", "RS256", "ES256", None, 5, "", "\ud800"]
        )
    return sign(header, claims)
