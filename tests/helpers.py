"""Small assertions shared by the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


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
