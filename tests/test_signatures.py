"""--verify-signatures: API requests are checked as AWS checks SigV4 (choice C48), with boto3
and with requests signed by botocore's signer; off, nothing changes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from emulator import Config, create_app
from emulator.config import Credential, parse_credentials
from emulator.http.cli import load_config
from emulator.http.credentials import CredentialsError, credential_table
from emulator.testing import LiveServer
from tests.signing import (
    ACCOUNT,
    KEY,
    SECRET,
    client,
    move_clock,
    send,
    signed_headers,
    verifying_server,
)

MISMATCH = "The request signature we calculated does not match the signature you provided."


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with verifying_server() as live:
        yield live


def error_of(call: ClientError) -> tuple[str, int, str]:
    response = call.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_the_right_secret_passes_and_acts_in_the_credentials_account(
    server: LiveServer,
) -> None:
    stage = client(server).create_stage(name="signed")["stage"]
    assert stage["arn"].startswith(f"arn:aws:ivs:us-east-1:{ACCOUNT}:stage/")


def test_tagging_paths_with_an_encoded_arn_verify(server: LiveServer) -> None:
    ivs = client(server)
    arn = ivs.create_stage(name="tagged")["stage"]["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"a": "b"})
    ivs.untag_resource(resourceArn=arn, tagKeys=["a", "b c"])
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_a_wrong_secret_is_invalid_signature_with_the_canonical_request(
    server: LiveServer,
) -> None:
    with pytest.raises(ClientError) as raised:
        client(server, secret="not-the-secret").list_stages()
    code, status, message = error_of(raised.value)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith(MISMATCH)
    assert "The Canonical String for this request should have been\n'POST\n/ListStages\n" in message


def test_a_region_the_service_is_not_in_is_invalid_signature(server: LiveServer) -> None:
    with pytest.raises(ClientError) as raised:
        client(server, region="us-east-2").list_stages()
    assert error_of(raised.value) == (
        "InvalidSignatureException",
        403,
        "Credential should be scoped to a valid region, not 'us-east-2'. ",
    )


def test_a_scope_with_another_service_is_invalid_signature(server: LiveServer) -> None:
    headers = signed_headers(server, "/ListStages", b"{}", service="ivs-realtime")
    answer = send(server, "/ListStages", b"{}", headers)
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException")
    assert answer.body["message"] == "Credential should be scoped to correct service: 'ivs'. "


def test_a_request_signed_ten_minutes_before_the_emulator_clock_has_expired(
    server: LiveServer,
) -> None:
    move_clock(server, 600)
    with pytest.raises(ClientError) as raised:
        client(server).list_stages()
    code, status, message = error_of(raised.value)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert re.fullmatch(
        r"Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
        r"\(\d{8}T\d{6}Z - 5 min\.\)",
        message,
    ), message


def test_a_request_signed_ten_minutes_after_the_emulator_clock_is_not_yet_current(
    server: LiveServer,
) -> None:
    move_clock(server, -600)
    with pytest.raises(ClientError) as raised:
        client(server).list_stages()
    code, status, message = error_of(raised.value)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("Signature not yet current: ") and "+ 5 min.)" in message


def test_a_clock_four_minutes_off_is_still_accepted(server: LiveServer) -> None:
    move_clock(server, 240)
    assert client(server).list_stages()["stages"] == []


def test_an_unknown_access_key_is_unrecognized_client(server: LiveServer) -> None:
    with pytest.raises(ClientError) as raised:
        client(server, key="AKIDUNKNOWN").list_stages()
    assert error_of(raised.value) == (
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
    )


def test_an_unsigned_request_is_missing_authentication_token(server: LiveServer) -> None:
    answer = send(server, "/ListStages", b"{}", {"Content-Type": "application/json"})
    assert (answer.status, answer.error_type) == (403, "MissingAuthenticationTokenException")
    assert answer.body["message"] == "Missing Authentication Token"


def test_an_authorization_without_its_parts_is_incomplete_signature(server: LiveServer) -> None:
    answer = send(server, "/ListStages", b"{}", {"Authorization": "Bearer abc"})
    assert (answer.status, answer.error_type) == (400, "IncompleteSignatureException")
    assert answer.body["message"] == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=Bearer abc"
    )


def test_a_signature_without_its_date_header_is_incomplete_signature(server: LiveServer) -> None:
    headers = signed_headers(server, "/ListStages", b"{}")
    del headers["X-Amz-Date"]
    answer = send(server, "/ListStages", b"{}", headers)
    assert (answer.status, answer.error_type) == (400, "IncompleteSignatureException")
    assert "requires existence of either a 'X-Amz-Date' or a 'Date' header" in (
        answer.body["message"]
    )


def test_a_body_changed_after_signing_is_invalid_signature(server: LiveServer) -> None:
    headers = signed_headers(server, "/CreateStage", b'{"name": "signed"}')
    answer = send(server, "/CreateStage", b'{"name": "changed"}', headers)
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException")
    assert answer.body["message"].startswith(MISMATCH)


def test_a_signed_header_changed_after_signing_is_invalid_signature(server: LiveServer) -> None:
    headers = signed_headers(server, "/ListStages", b"{}")
    headers["Content-Type"] = "application/x-amz-json-1.1"
    answer = send(server, "/ListStages", b"{}", headers)
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException")


def test_a_signature_without_host_is_invalid_signature(server: LiveServer) -> None:
    headers = signed_headers(server, "/ListStages", b"{}")
    headers["Authorization"] = headers["Authorization"].replace(
        "SignedHeaders=content-type;host;x-amz-date", "SignedHeaders=content-type;x-amz-date"
    )
    answer = send(server, "/ListStages", b"{}", headers)
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException")
    assert answer.body["message"] == (
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_authentication_comes_before_routing_and_validation(server: LiveServer) -> None:
    unknown = send(server, "/NoSuchOperation", b"{}", {})
    invalid = send(server, "/CreateStage", b'{"name": 5}', {})
    assert unknown.error_type == invalid.error_type == "MissingAuthenticationTokenException"


def test_a_denied_account_is_denied_only_after_its_signature_verifies() -> None:
    with verifying_server(denied=frozenset({ACCOUNT})) as server:
        with pytest.raises(ClientError) as wrong:
            client(server, secret="wrong").list_stages()
        with pytest.raises(ClientError) as right:
            client(server).list_stages()
    assert error_of(wrong.value)[0] == "InvalidSignatureException"
    assert error_of(right.value)[0] == "AccessDeniedException"


def test_control_endpoints_need_no_signature(server: LiveServer) -> None:
    answer = send(server, "/_emulator/reset", b"{}", {"Content-Type": "application/json"})
    assert answer.status == 200


def test_the_request_is_journaled_with_its_refusal(server: LiveServer) -> None:
    send(server, "/ListStages", b"{}", {})
    flask_client = server.app.test_client()
    entries = flask_client.get("/_emulator/requests").get_json()
    assert "MissingAuthenticationTokenException" in json.dumps(entries)


def test_without_the_setting_unsigned_and_wrongly_signed_requests_pass() -> None:
    config = Config(credentials={KEY: Credential(SECRET, ACCOUNT)})
    with LiveServer(create_app(config)) as server:
        unsigned = send(server, "/ListStages", b"{}", {"Content-Type": "application/json"})
        stage = client(server, secret="wrong", region="xx-nowhere-1").create_stage()["stage"]
    assert unsigned.status == 200
    assert stage["arn"].startswith(f"arn:aws:ivs:xx-nowhere-1:{ACCOUNT}:stage/")


def test_a_server_without_the_raw_path_still_verifies_an_encoded_arn(server: LiveServer) -> None:
    """Granian passes on only the decoded path; the verifier then rebuilds what was sent."""
    ivs = client(server)
    arn = ivs.create_stage(name="granian")["stage"]["arn"]
    path = "/tags/" + arn.replace(":", "%3A").replace("/", "%2F")
    body = b'{"tags":{"k":"v"}}'
    headers = {**signed_headers(server, path, body), "Host": server.url.split("//")[1]}
    answer = server.app.test_client().post(
        path,
        data=body,
        headers=headers,
        environ_overrides={"RAW_URI": "", "REQUEST_URI": ""},
    )
    assert answer.status_code == 200, answer.get_json()


# The credentials table: flag, environment and file.


def test_credentials_from_a_flag_with_and_without_an_account() -> None:
    assert parse_credentials("AK1=s/e+c:r=et:111122223333, AK2=other") == {
        "AK1": Credential("s/e+c:r=et", "111122223333"),
        "AK2": Credential("other", None),
    }


@pytest.mark.parametrize("text", ["AK1", "AK1=", "=secret:111122223333"])
def test_a_malformed_credential_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_credentials(text)


def test_credentials_from_a_json_file_and_the_flag_over_it(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(
        json.dumps(
            {
                "AK1": {"secretAccessKey": "from-file", "account": "111122223333"},
                "AK2": {"secretAccessKey": "kept"},
            }
        )
    )
    config = Config(credentials_file=str(path), credentials={"AK1": Credential("flag", None)})
    assert credential_table(config) == {
        "AK1": Credential("flag", None),
        "AK2": Credential("kept", None),
    }


def test_credentials_from_an_aws_cli_style_ini_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(
        "[default]\naws_access_key_id = AK1\naws_secret_access_key = s3cret\n"
        "aws_account_id = 111122223333\n\n[other]\naws_access_key_id=AK2\n"
        "aws_secret_access_key=x\n"
    )
    assert credential_table(Config(credentials_file=str(path))) == {
        "AK1": Credential("s3cret", "111122223333"),
        "AK2": Credential("x", None),
    }


def test_a_bad_credentials_file_names_the_entry_not_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"AK1": {"secretAccessKey": "hidden", "account": "12"}}))
    with pytest.raises(CredentialsError) as raised:
        credential_table(Config(credentials_file=str(path)))
    assert "'AK1'" in str(raised.value) and "hidden" not in str(raised.value)


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"AK2": {"secretAccessKey": "x"}}))
    monkeypatch.setenv("IVS_EMULATOR_VERIFY_SIGNATURES", "true")
    monkeypatch.setenv("IVS_EMULATOR_CREDENTIALS", f"{KEY}={SECRET}:{ACCOUNT}")
    monkeypatch.setenv("IVS_EMULATOR_CREDENTIALS_FILE", str(path))
    config = load_config([])
    assert config.verify_signatures is True
    assert config.credentials == {KEY: Credential(SECRET, ACCOUNT)}
    assert config.credentials_file == str(path)


def test_verifying_without_credentials_is_refused_at_start() -> None:
    with pytest.raises(SystemExit):
        load_config(["--verify-signatures"])


def test_an_unreadable_credentials_file_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        load_config(["--credentials-file", str(tmp_path / "missing")])


def test_verifying_without_botocore_is_a_clear_start_up_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from emulator.http import signatures

    signatures._botocore.cache_clear()
    monkeypatch.setitem(sys.modules, "botocore.auth", None)
    try:
        with pytest.raises(signatures.SignatureSetupError, match=r"ivs-realtime-emulator\[sigv4\]"):
            create_app(Config(verify_signatures=True, credentials={KEY: Credential(SECRET)}))
    finally:
        signatures._botocore.cache_clear()
