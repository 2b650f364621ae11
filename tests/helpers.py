"""Small assertions and raw calls shared by the tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from flask.testing import FlaskClient


def client_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> ClientError:
    """Run a boto3 call that must fail, and return its ClientError."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def error_message(error: ClientError) -> str:
    return str(error.response["Error"]["Message"])


def status(error: ClientError) -> int:
    return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


AUTH = (
    "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/ivs/aws4_request, "
    "SignedHeaders=host, Signature=x"
)
"""An Authorization header for account 123456789012 in us-east-1 (only its scope is read)."""


def raw(client: FlaskClient, operation: str, **body: Any) -> dict[str, Any]:
    """The JSON body of a successful call through the Flask test client, as the wire has it."""
    response = client.post(
        f"/{operation}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": AUTH},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(json.loads(response.get_data(as_text=True)))
