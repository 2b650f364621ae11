"""Calling operations through the Flask test client as a given account and region.

The state machines use these to drive many callers quickly: the Authorization header carries a
SigV4-like credential scope whose 12-digit access key id is the account (choice C11).
"""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.strategies import CONTRACT

Scope = tuple[str, str]
"""(account, region)"""


def authorization(scope: Scope) -> str:
    account, region = scope
    return (
        f"AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/ivs/aws4_request, "
        "SignedHeaders=host, Signature=x"
    )


class ScopedCalls:
    """call / ok / not_found for a class that has a Flask test `client`."""

    client: FlaskClient

    def call(self, scope: Scope, operation: str, body: dict[str, Any]) -> TestResponse:
        op = CONTRACT.operations[operation]
        return self.client.open(
            op.uri,
            method=op.method,
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": authorization(scope)},
        )

    def ok(self, scope: Scope, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.call(scope, operation, body)
        assert response.status_code == 200, (operation, body, response.get_data(as_text=True))
        result: dict[str, Any] = response.get_json()
        return result

    def not_found(self, scope: Scope, operation: str, body: dict[str, Any]) -> None:
        response = self.call(scope, operation, body)
        assert (response.status_code, response.headers.get("x-amzn-ErrorType")) == (
            404,
            "ResourceNotFoundException",
        ), (operation, body, response.get_data(as_text=True))
