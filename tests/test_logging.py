"""Logging: one line per API request, readable text by default or JSON (`--log-format json`),
and never a token, key, signature or credential (choice C36 in contract/README.md)."""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from flask import Flask

from emulator import Config
from emulator.config import parse_log_format
from emulator.http.logformat import JsonFormatter, formatter
from emulator.http.server import configure_logging
from emulator.testing import LiveServer

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
HANDMADE_SIGNATURE = "f" * 64


@pytest.fixture(params=["text", "json"])
def captured(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """The emulator's log lines, in the format the test is parametrised with."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(request.param))
    logger = logging.getLogger("emulator")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_no_token_key_or_signature_reaches_the_log(
    captured: io.StringIO, live_server: LiveServer, app: Flask
) -> None:
    signatures: list[str] = []

    def keep_signature(request: Any, **_: Any) -> None:
        signatures.append(request.headers["Authorization"].decode().rsplit("Signature=", 1)[1])

    ivs = boto3.client(
        "ivs-realtime",
        endpoint_url=live_server.url,
        region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
    )
    ivs.meta.events.register("before-send.ivs-realtime.*", keep_signature)
    stage = ivs.create_stage(name="logged", participantTokenConfigurations=[{"userId": "a"}])
    from_stage = stage["participantTokens"][0]["token"]
    token = ivs.create_participant_token(stageArn=stage["stage"]["arn"])["participantToken"]
    post = {"Content-Type": "application/json"}
    for path, body, headers in (
        ("/_emulator/stage/join", {"token": token["token"]}, post),
        ("/_emulator/token-check", {"token": from_stage}, post),
        (
            "/ListStages",
            {},
            {
                **post,
                "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/"
                f"us-east-1/ivs/aws4_request, SignedHeaders=host, Signature={HANDMADE_SIGNATURE}",
                "X-Amz-Security-Token": SESSION_TOKEN,
            },
        ),
    ):
        request = urllib.request.Request(
            live_server.url + path, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        urllib.request.urlopen(request).close()

    log = captured.getvalue()
    assert "POST /CreateStage" in log and "ListStages" in log  # the lines are there
    assert len(signatures) == 2
    for secret in (
        token["token"],
        from_stage,
        *(part for t in (token["token"], from_stage) for part in t.split(".")),
        *signatures,
        HANDMADE_SIGNATURE,
        SECRET_KEY,
        SESSION_TOKEN,
        "AKIAIOSFODNN7EXAMPLE",
    ):
        assert secret not in log
    assert not re.search("authorization|signature|eyJ", log, re.IGNORECASE)


def test_json_lines_carry_the_request_fields(captured: io.StringIO, client: Any) -> None:
    client.post("/GetStage", json={"arn": "arn:aws:ivs:us-east-1:123456789012:stage/abcdefabcdef"})
    (line,) = captured.getvalue().splitlines()
    if not line.startswith("{"):
        assert re.search(
            r"POST /GetStage GetStage account=123456789012 region=us-east-1 status=404 "
            r"error=ResourceNotFoundException [\d.]+ms request=[0-9a-f-]{36}$",
            line,
        )
        return
    entry = json.loads(line)
    assert {k: entry[k] for k in ("level", "logger", "operation", "status", "error")} == {
        "level": "INFO",
        "logger": "emulator.requests",
        "operation": "GetStage",
        "status": 404,
        "error": "ResourceNotFoundException",
    }
    assert set(entry) >= {"time", "message", "account", "region", "latencyMs", "requestId"}
    assert entry["requestTime"] == "2026-01-02T03:04:05Z"  # the emulator clock's


def test_configure_logging_uses_the_format_asked_for() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(Config(log_format="json"))
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        configure_logging(Config())
        assert not isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json"):
        parse_log_format("xml")
    assert Config.from_env({"IVS_EMULATOR_LOG_FORMAT": "JSON"}).log_format == "json"


def test_control_characters_in_a_path_are_escaped_in_the_text_line(
    captured: io.StringIO, client: Any
) -> None:
    client.get("/%0D%1B[31mred")
    line = captured.getvalue()
    assert "\r" not in line and "\x1b" not in line
    assert "\\r\\x1b[31mred" in line or "\\r\\u001b[31mred" in line  # text, or JSON's escape
