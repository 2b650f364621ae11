"""Admission of participant tokens: the emulator's own and self-signed ones, one judge for both.

Unit-level: the emulator is built with a FixedClock, its state is made through the service
layer, and tokens are judged with service.admission (admit, check_token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from emulator.http.app import emulator_of
from emulator.service.admission import (
    REQUIRED_CLAIMS,
    AdmittedToken,
    Problem,
    Refusal,
    admit,
    check_token,
    token_scope,
)
from emulator.service.context import Backend, Context
from emulator.service.dispatch import Service
from emulator.tokens import (
    BadSignature,
    ExpiredToken,
    MalformedToken,
    TokenSigner,
    WrongAlgorithm,
    verify_es384,
)
from tests.conftest import START

ACCOUNT = "123456789012"
REGION = "us-east-1"
FOURTEEN_DAYS = 20160 * 60


class Emulator:
    """One emulator with a fixed clock, driven through its service layer."""

    def __init__(self, signer: TokenSigner | None = None) -> None:
        self.clock = FixedClock(START)
        app = create_app(Config(), clock=self.clock, signer=signer)
        self.backend: Backend = emulator_of(app).backend
        self.service: Service = emulator_of(app).service

    def call(
        self, operation: str, account: str = ACCOUNT, region: str = REGION, **request: Any
    ) -> Any:
        return self.service.call(operation, account, region, request)

    def stage(self, account: str = ACCOUNT, region: str = REGION) -> dict[str, Any]:
        return dict(self.call("CreateStage", account, region)["stage"])

    def issued_token(self, stage_arn: str, **request: Any) -> dict[str, Any]:
        return dict(
            self.call("CreateParticipantToken", stageArn=stage_arn, **request)["participantToken"]
        )

    def import_key(
        self, private_key: ec.EllipticCurvePrivateKey, account: str = ACCOUNT, region: str = REGION
    ) -> str:
        material = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        imported = self.call(
            "ImportPublicKey", account, region, publicKeyMaterial=material.decode()
        )
        return str(imported["publicKey"]["arn"])

    def admit(self, token: str) -> AdmittedToken | Refusal:
        return admit(self.backend, token)

    def context(self, account: str = ACCOUNT, region: str = REGION) -> Context:
        state = self.backend.store.region(account, region)
        return Context(self.backend, account, region, state, self.clock.now())


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def stage(emulator: Emulator) -> dict[str, Any]:
    return emulator.stage()


@pytest.fixture
def user_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture
def key_arn(emulator: Emulator, user_key: ec.EllipticCurvePrivateKey) -> str:
    return emulator.import_key(user_key)


def self_claims(stage: dict[str, Any], now: datetime = START, **changes: Any) -> dict[str, Any]:
    """Claims as the aws-samples token builders write them (contract/README.md F2)."""
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "exp": iat + 3600,
        "iat": iat,
        "jti": "selfSigned01",
        "resource": stage["arn"],
        "topic": stage["arn"].rsplit("/", 1)[1],
        "events_url": stage["endpoints"]["events"],
        "whip_url": stage["endpoints"]["whip"],
        "capabilities": {"allow_publish": True, "allow_subscribe": True},
        "version": "1.0",
        "user_id": "alice",
        "attributes": {"seat": "1"},
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def self_signed(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": kid})


def refusal(result: AdmittedToken | Refusal, problem: Problem) -> str:
    assert isinstance(result, Refusal), f"expected a refusal ({problem}), got {result}"
    assert result.problem == problem, result.reason
    return result.reason


def admitted(result: AdmittedToken | Refusal) -> AdmittedToken:
    assert isinstance(result, AdmittedToken), f"expected admission, got: {result}"
    return result


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj: Any) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


# Tokens the emulator issued


def test_an_emulator_issued_token_is_admitted(emulator: Emulator, stage: dict[str, Any]) -> None:
    issued = emulator.issued_token(stage["arn"], userId="bob", capabilities=["SUBSCRIBE"])
    token = admitted(emulator.admit(issued["token"]))
    assert token.participant_id == issued["participantId"]
    assert (token.stage.arn, token.user_id) == (stage["arn"], "bob")
    assert (token.can_publish, token.can_subscribe) == (False, True)
    assert (token.key_id, token.self_signed) == (emulator.backend.signer.kid, False)
    assert token.expires_at == START + timedelta(minutes=720)


def test_tokens_returned_by_create_stage_are_admitted(emulator: Emulator) -> None:
    created = emulator.call("CreateStage", participantTokenConfigurations=[{"userId": "a"}])
    assert admitted(emulator.admit(created["participantTokens"][0]["token"])).user_id == "a"


def test_check_token_judges_within_a_context_the_caller_holds(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    issued = emulator.issued_token(stage["arn"])
    context = emulator.context()
    with context.state.lock:
        assert admitted(check_token(context, issued["token"])).stage.arn == stage["arn"]


def test_a_token_of_another_emulator_is_an_unknown_key(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    other = Emulator()
    token = other.backend.signer.sign(self_claims(stage, version="0.0"))
    assert "unknown signing key" in refusal(emulator.admit(token), Problem.UNKNOWN_KEY)


def test_a_token_signed_with_the_same_key_file_is_admitted_by_another_emulator() -> None:
    signer = TokenSigner.generate()
    first = Emulator(signer=signer)
    second = Emulator(signer=signer)
    stage = second.stage()
    claims = self_claims(stage, version="0.0")
    assert admitted(second.admit(first.backend.signer.sign(claims))).self_signed is False


def test_an_issued_token_is_refused_once_its_stage_is_deleted(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    token = emulator.issued_token(stage["arn"])["token"]
    emulator.call("DeleteStage", arn=stage["arn"])
    assert "stage not found" in refusal(emulator.admit(token), Problem.STAGE_NOT_FOUND)


# Self-signed tokens


def test_a_self_signed_token_with_the_documented_claims_is_admitted(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    token = admitted(emulator.admit(self_signed(self_claims(stage), user_key, key_arn)))
    assert (token.key_id, token.self_signed) == (key_arn, True)
    assert (token.participant_id, token.user_id, token.attributes) == (
        "selfSigned01",
        "alice",
        {"seat": "1"},
    )
    assert token.claims["version"] == "1.0"
    assert token.issued_at == START


def test_user_id_attributes_and_urls_are_optional(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    claims = self_claims(stage, user_id=None, attributes=None, events_url=None, whip_url=None)
    token = admitted(emulator.admit(self_signed(claims, user_key, key_arn)))
    assert (token.user_id, token.attributes) == (None, {})


def test_after_delete_public_key_its_tokens_are_refused(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    token = self_signed(self_claims(stage), user_key, key_arn)
    admitted(emulator.admit(token))
    emulator.call("DeletePublicKey", arn=key_arn)
    assert "public key deleted" in refusal(emulator.admit(token), Problem.KEY_DELETED)


def test_reimporting_a_deleted_key_does_not_revive_tokens_naming_the_old_arn(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    emulator.call("DeletePublicKey", arn=key_arn)
    new_arn = emulator.import_key(user_key)
    refusal(emulator.admit(self_signed(self_claims(stage), user_key, key_arn)), Problem.KEY_DELETED)
    admitted(emulator.admit(self_signed(self_claims(stage), user_key, new_arn)))


def test_a_kid_naming_a_key_never_imported_is_an_unknown_key(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey
) -> None:
    kid = f"arn:aws:ivs:{REGION}:{ACCOUNT}:public-key/neverImportd"
    reason = refusal(
        emulator.admit(self_signed(self_claims(stage), user_key, kid)), Problem.UNKNOWN_KEY
    )
    assert kid in reason


def test_a_key_imported_in_another_region_does_not_sign_for_this_ones_stages(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey
) -> None:
    elsewhere = emulator.import_key(user_key, region="eu-west-1")
    token = self_signed(self_claims(stage), user_key, elsewhere)
    refusal(emulator.admit(token), Problem.UNKNOWN_KEY)


def test_a_key_of_another_account_does_not_sign_for_this_ones_stages(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey
) -> None:
    theirs = emulator.import_key(user_key, account="999999999999")
    refusal(emulator.admit(self_signed(self_claims(stage), user_key, theirs)), Problem.UNKNOWN_KEY)


def test_signed_by_a_different_private_key_than_the_kid_names_is_a_bad_signature(
    emulator: Emulator, stage: dict[str, Any], key_arn: str
) -> None:
    stranger = ec.generate_private_key(ec.SECP384R1())
    token = self_signed(self_claims(stage), stranger, key_arn)
    refusal(emulator.admit(token), Problem.BAD_SIGNATURE)


def test_a_kid_of_the_emulator_on_a_self_signed_token_is_a_bad_signature(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey
) -> None:
    token = self_signed(self_claims(stage), user_key, emulator.backend.signer.kid)
    refusal(emulator.admit(token), Problem.BAD_SIGNATURE)


# Time: the injected clock, never the wall


def test_a_token_is_refused_once_the_clock_reaches_its_exp(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    token = emulator.issued_token(stage["arn"], duration=10)["token"]
    emulator.clock.advance(10 * 60 - 1)
    admitted(emulator.admit(token))
    emulator.clock.advance(1)
    assert "expired" in refusal(emulator.admit(token), Problem.EXPIRED)


def test_an_expired_self_signed_token_is_refused(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    token = self_signed(self_claims(stage), user_key, key_arn)
    emulator.clock.advance(3601)
    refusal(emulator.admit(token), Problem.EXPIRED)


def test_expiry_is_judged_by_the_clock_passed_in_not_wall_time() -> None:
    signer = TokenSigner.generate()
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    token = signer.sign({"exp": int(long_ago.timestamp()) + 60, "iat": int(long_ago.timestamp())})
    assert verify_es384(token, signer.public_key, now=long_ago)["exp"]
    with pytest.raises(ExpiredToken):
        verify_es384(token, signer.public_key, now=long_ago + timedelta(minutes=1))


def test_a_lifetime_of_exactly_14_days_is_admitted_and_one_second_more_is_refused(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    iat = int(START.timestamp())
    longest = self_claims(stage, exp=iat + FOURTEEN_DAYS)
    admitted(emulator.admit(self_signed(longest, user_key, key_arn)))
    too_long = self_claims(stage, exp=iat + FOURTEEN_DAYS + 1)
    reason = refusal(
        emulator.admit(self_signed(too_long, user_key, key_arn)), Problem.LIFETIME_TOO_LONG
    )
    assert "20160 minutes" in reason


def test_times_in_milliseconds_are_refused_as_too_long_a_lifetime(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    iat = int(START.timestamp())
    claims = self_claims(stage, exp=(iat + 3600) * 1000)
    refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.LIFETIME_TOO_LONG)


def test_a_token_issued_in_the_future_is_not_yet_valid(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    later = START + timedelta(minutes=5)
    token = self_signed(self_claims(stage, now=later), user_key, key_arn)
    refusal(emulator.admit(token), Problem.NOT_YET_VALID)
    emulator.clock.advance(5 * 60)
    admitted(emulator.admit(token))


def test_a_minute_of_clock_skew_on_iat_is_tolerated(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    token = self_signed(self_claims(stage, now=START + timedelta(seconds=60)), user_key, key_arn)
    admitted(emulator.admit(token))


# Tampering and forgery


def test_a_tampered_payload_is_a_bad_signature(emulator: Emulator, stage: dict[str, Any]) -> None:
    token = emulator.issued_token(stage["arn"], capabilities=["SUBSCRIBE"])["token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["capabilities"]["allow_publish"] = True
    forged = ".".join([header, b64json(claims), signature])
    assert "signature" in refusal(emulator.admit(forged), Problem.BAD_SIGNATURE)


def test_a_tampered_signature_is_a_bad_signature(emulator: Emulator, stage: dict[str, Any]) -> None:
    token = emulator.issued_token(stage["arn"])["token"]
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 1
    refusal(emulator.admit(".".join([header, payload, b64(bytes(raw))])), Problem.BAD_SIGNATURE)


def test_a_header_naming_another_kid_is_an_unknown_key(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    token = emulator.issued_token(stage["arn"])["token"]
    _, payload, signature = token.split(".")
    header = b64json({"alg": "ES384", "typ": "JWT", "kid": "someone-elses-thumbprint"})
    refusal(emulator.admit(".".join([header, payload, signature])), Problem.UNKNOWN_KEY)


def test_alg_none_is_refused(emulator: Emulator, stage: dict[str, Any]) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": emulator.backend.signer.kid}
    token = f"{b64json(header)}.{b64json(self_claims(stage))}."
    assert "ES384" in refusal(emulator.admit(token), Problem.WRONG_ALGORITHM)


def test_hs384_is_refused(emulator: Emulator, stage: dict[str, Any]) -> None:
    token = jwt.encode(
        self_claims(stage), "a-shared-secret-of-decent-length-for-hs384-0123456789abcdef",
        algorithm="HS384", headers={"kid": emulator.backend.signer.kid},
    )  # fmt: skip
    refusal(emulator.admit(token), Problem.WRONG_ALGORITHM)


def test_hs384_keyed_with_the_public_key_is_refused(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    """The algorithm-confusion forgery: HMAC keyed with the (public) PEM of the verifying key."""
    public_pem = emulator.backend.signer.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64json({"alg": "HS384", "typ": "JWT", "kid": emulator.backend.signer.kid})
    signing_input = f"{header}.{b64json(self_claims(stage))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha384).digest()
    refusal(emulator.admit(f"{signing_input}.{b64(mac)}"), Problem.WRONG_ALGORITHM)


def test_a_service_style_kms_token_is_refused_as_the_wrong_algorithm(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    header = "eyJhbGciOiJLTVMiLCJ0eXAiOiJKV1QifQ"  # {"alg":"KMS","typ":"JWT"}, no kid
    token = f"{header}.{b64json(self_claims(stage))}.{b64(b'0' * 102)}"
    assert '"KMS"' in refusal(emulator.admit(token), Problem.WRONG_ALGORITHM)


def test_verify_es384_raises_a_typed_error_for_each_failure(emulator: Emulator) -> None:
    signer = emulator.backend.signer
    token = signer.sign({"exp": int(START.timestamp()) + 60})
    _, payload, _ = token.split(".")
    with pytest.raises(BadSignature):
        verify_es384(token, TokenSigner.generate().public_key, now=START)
    with pytest.raises(WrongAlgorithm):
        verify_es384(f"{b64json({'alg': 'none'})}.{payload}.", signer.public_key, now=START)
    with pytest.raises(MalformedToken):
        verify_es384(signer.sign({"iat": 1}), signer.public_key, now=START)


# Stage and topic


def test_a_token_for_a_stage_that_does_not_exist_is_refused(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    missing = f"arn:aws:ivs:{REGION}:{ACCOUNT}:stage/noSuchStage1"
    claims = self_claims(stage, resource=missing, topic="noSuchStage1")
    reason = refusal(
        emulator.admit(self_signed(claims, user_key, key_arn)), Problem.STAGE_NOT_FOUND
    )
    assert missing in reason


def test_a_topic_other_than_the_stage_id_is_refused(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    other = emulator.stage()
    claims = self_claims(stage, topic=other["arn"].rsplit("/", 1)[1])
    reason = refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.TOPIC_MISMATCH)
    assert stage["arn"] in reason


def test_a_resource_that_is_not_a_stage_arn_is_refused(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    claims = self_claims(stage, resource=key_arn)
    refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.INVALID_CLAIMS)


def test_token_scope_is_the_account_and_region_of_the_stage(
    emulator: Emulator,
) -> None:
    stage = emulator.stage(account="210987654321", region="ap-south-1")
    issued = emulator.call(
        "CreateParticipantToken", "210987654321", "ap-south-1", stageArn=stage["arn"]
    )["participantToken"]["token"]
    assert token_scope(issued) == ("210987654321", "ap-south-1")
    assert admitted(emulator.admit(issued)).stage.arn == stage["arn"]


# Claims


@pytest.mark.parametrize(
    ("capabilities", "granted"),
    [
        ({"allow_publish": True, "allow_subscribe": True}, (True, True)),
        ({"allow_subscribe": True}, (False, True)),
        ({"allow_publish": True}, (True, False)),
        ({}, (False, False)),
        ({"allow_publish": False, "allow_subscribe": True}, (False, True)),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_a_self_signed_token_is_granted_only_the_flags_that_are_true(
    emulator: Emulator,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    capabilities: dict[str, bool],
    granted: tuple[bool, bool],
) -> None:
    token = self_signed(self_claims(stage, capabilities=capabilities), user_key, key_arn)
    result = admitted(emulator.admit(token))
    assert (result.can_publish, result.can_subscribe) == granted


@pytest.mark.parametrize(
    ("requested", "granted"),
    [(["PUBLISH", "SUBSCRIBE"], (True, True)), (["SUBSCRIBE"], (False, True)),
     (["PUBLISH"], (True, False)), ([], (False, False))],
    ids=lambda value: ",".join(value) if isinstance(value, list) else None,
)  # fmt: skip
def test_an_issued_token_is_granted_the_capabilities_it_was_issued_with(
    emulator: Emulator, stage: dict[str, Any], requested: list[str], granted: tuple[bool, bool]
) -> None:
    token = emulator.issued_token(stage["arn"], capabilities=requested)["token"]
    result = admitted(emulator.admit(token))
    assert (result.can_publish, result.can_subscribe) == granted


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_must_be_present(
    emulator: Emulator,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    claim: str,
) -> None:
    claims = self_claims(stage)
    del claims[claim]
    result = emulator.admit(self_signed(claims, user_key, key_arn))
    assert isinstance(result, Refusal)
    assert claim in result.reason


@pytest.mark.parametrize(
    "changes",
    [
        {"capabilities": {"allow_publish": "yes", "allow_subscribe": True}},
        {"capabilities": {"allow_publish": 1}},
        {"capabilities": {"allow_subscribe": "true"}},
        {"capabilities": ["PUBLISH"]},
        {"jti": ""},
        {"jti": "has spaces"},
        {"jti": "x" * 65},
        {"jti": 12},
        {"version": 1},
        {"topic": 7},
        {"user_id": 5},
        {"user_id": "u" * 129},
        {"attributes": {"k": 1}},
        {"attributes": {"k": "v" * 1024}},
        {"iat": "now"},
        {"iat": True},
        {"whip_url": 1},
    ],
    ids=lambda changes: json.dumps(changes)[:40],
)
def test_claims_of_the_wrong_type_or_size_are_invalid(
    emulator: Emulator,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    changes: dict[str, Any],
) -> None:
    claims = self_claims(stage, **changes)
    refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.INVALID_CLAIMS)


@pytest.mark.parametrize(
    "changes", [{"attributes": {"seat": "\ud800"}}, {"user_id": "a\udfff"}, {"jti": "\ud800"}]
)
def test_a_lone_surrogate_in_the_claims_is_invalid_not_a_crash(
    emulator: Emulator,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    changes: dict[str, Any],
) -> None:
    claims = self_claims(stage, **changes)
    reason = refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.INVALID_CLAIMS)
    assert "lone surrogate" in reason


def test_exp_not_after_iat_is_invalid(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    iat = int(START.timestamp())
    claims = self_claims(stage, iat=iat + 30, exp=iat + 30)
    refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.INVALID_CLAIMS)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "tomorrow", True])
def test_exp_that_is_not_a_finite_number_is_malformed(
    emulator: Emulator,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    value: Any,
) -> None:
    claims = self_claims(stage, exp=value)
    refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.MALFORMED)


def test_a_nan_iat_is_invalid(
    emulator: Emulator, stage: dict[str, Any], user_key: ec.EllipticCurvePrivateKey, key_arn: str
) -> None:
    claims = self_claims(stage, iat=float("nan"))
    refusal(emulator.admit(self_signed(claims, user_key, key_arn)), Problem.INVALID_CLAIMS)


@pytest.mark.parametrize(
    "token",
    ["", "not a token", "a.b", "a.b.c", "eyJhbGciOiJFUzM4NCJ9.e30", "e30.e30.e30"],
)
def test_strings_that_are_not_tokens_are_malformed(emulator: Emulator, token: str) -> None:
    result = emulator.admit(token)
    assert isinstance(result, Refusal)
    assert result.problem in (Problem.MALFORMED, Problem.INVALID_CLAIMS)


def test_a_header_without_kid_is_malformed(emulator: Emulator, stage: dict[str, Any]) -> None:
    token = emulator.issued_token(stage["arn"])["token"]
    _, payload, signature = token.split(".")
    header = b64json({"alg": "ES384", "typ": "JWT"})
    assert "kid" in refusal(emulator.admit(f"{header}.{payload}.{signature}"), Problem.MALFORMED)


# Further checks


def test_further_checks_run_after_the_others_and_their_refusal_is_returned(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    token = emulator.issued_token(stage["arn"])["token"]
    seen: list[str] = []

    def turn_away(context: Context, candidate: AdmittedToken) -> Refusal | None:
        seen.append(candidate.participant_id)
        return Refusal(Problem.MALFORMED, f"participant {candidate.participant_id} is barred")

    result = admit(emulator.backend, token, checks=[lambda c, t: None, turn_away])
    assert isinstance(result, Refusal) and result.reason.endswith("is barred")
    assert seen == [admitted(emulator.admit(token)).participant_id]


def test_further_checks_are_not_run_for_a_refused_token(
    emulator: Emulator, stage: dict[str, Any]
) -> None:
    token = emulator.issued_token(stage["arn"], duration=1)["token"]
    emulator.clock.advance(60)
    calls: list[AdmittedToken] = []
    admit(emulator.backend, token, checks=[lambda c, t: calls.append(t)])
    assert calls == []
