"""Playing a stage client in tests: the /_emulator/stage/ and /_emulator/ingest/ endpoints
over real HTTP (urllib), and self-signed participant tokens as the aws-samples demos build
them (contract/README.md F2)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class Answer:
    """An answer of a client endpoint: its status and JSON body."""

    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def error(self) -> str | None:
        value = self.body.get("error")
        return None if value is None else str(value)


class StagePlayer:
    """Acts as stage clients against a live emulator at `url`."""

    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, action: str, body: Any) -> Answer:
        return self.send(f"/_emulator/stage/{action}", body)

    def send(self, path: str, body: Any) -> Answer:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=body if isinstance(body, bytes) else json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return Answer(response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, json.loads(error.read()))

    def join(self, token: str) -> Answer:
        return self.post("join", {"token": token})

    def leave(self, token: str) -> Answer:
        return self.post("leave", {"token": token})

    def publish(self, token: str) -> Answer:
        return self.post("publish", {"token": token})

    def unpublish(self, token: str) -> Answer:
        return self.post("unpublish", {"token": token})

    def subscribe(self, token: str, publisher_id: str) -> Answer:
        return self.post("subscribe", {"token": token, "publisherId": publisher_id})

    def unsubscribe(self, token: str, publisher_id: str) -> Answer:
        return self.post("unsubscribe", {"token": token, "publisherId": publisher_id})

    def start_ingest(self, stream_key: str) -> Answer:
        """An RTMP(S) encoder connects with an ingest configuration's stream key."""
        return self.send("/_emulator/ingest/start", {"streamKey": stream_key})

    def stop_ingest(self, stream_key: str) -> Answer:
        return self.send("/_emulator/ingest/stop", {"streamKey": stream_key})


def joined(answer: Answer) -> dict[str, Any]:
    """The body of a successful action; fails the test with the refusal otherwise."""
    assert answer.ok, f"expected 200, got {answer.status}: {answer.body}"
    return answer.body


def public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def self_signed_token(
    key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    stage: dict[str, Any],
    jti: str,
    iat: int,
    lifetime: int = 3600,
    allow_publish: bool = True,
    allow_subscribe: bool = True,
    **claims: Any,
) -> str:
    """A token signed with the user's own key, `kid` = the imported public key's ARN."""
    payload: dict[str, Any] = {
        "exp": iat + lifetime,
        "iat": iat,
        "jti": jti,
        "resource": stage["arn"],
        "topic": stage["arn"].rsplit("/", 1)[1],
        "events_url": stage["endpoints"]["events"],
        "whip_url": stage["endpoints"]["whip"],
        "capabilities": {"allow_publish": allow_publish, "allow_subscribe": allow_subscribe},
        "version": "1.0",
        **claims,
    }
    return jwt.encode(payload, key, algorithm="ES384", headers={"kid": key_arn})
