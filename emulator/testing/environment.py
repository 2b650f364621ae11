"""Point every AWS client built inside a block at the emulator, through the environment.

`aws_environment(url)` sets `AWS_ENDPOINT_URL_IVS_REALTIME`, fake credentials and a region for
the duration of a `with` block and restores the environment after, so code under test that
builds its own `boto3.client("ivs-realtime")` (or runs the AWS CLI, or a JS SDK v3 script)
reaches the emulator unchanged. The pytest plugin's `ivs_emulator_env` fixture uses it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_IVS_REALTIME"

CLEARED = (
    # A session token or a named profile would replace the fake credentials below.
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    # "true" makes the SDKs ignore every AWS_ENDPOINT_URL* variable.
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
"""Variables unset inside the block, because each would send a client elsewhere."""


def emulator_variables(
    endpoint_url: str,
    region: str = "us-east-1",
    access_key: str = "test",
    secret_key: str = "test",
) -> dict[str, str]:
    """The variables `aws_environment` sets: the endpoint of ivs-realtime only (other services
    keep theirs), credentials the emulator parses but never verifies, and a region.

    The access key decides the account, as for any request: a 12-digit access key id is its
    own account, any other is the emulator's default account (123456789012) unless mapped.
    """
    return {
        ENDPOINT_VARIABLE: endpoint_url,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": region,  # read by boto3 and the AWS CLI
        "AWS_REGION": region,  # read by the JS SDK v3 and most other SDKs
    }


@contextmanager
def aws_environment(
    endpoint_url: str,
    region: str = "us-east-1",
    access_key: str = "test",
    secret_key: str = "test",
    environ: MutableMapping[str, str] | None = None,
) -> Iterator[dict[str, str]]:
    """Within the block, AWS clients created from the environment reach the emulator.

    Sets the variables of `emulator_variables`, unsets those of CLEARED, and puts back every
    one of them as it was when the block ends, however it ends. Clients created inside the
    block keep their endpoint after it; create them inside.

    boto3 keeps the credentials its default session found first, so the block starts with
    no default session, and ends with the one from before (none if boto3 was first imported
    inside): `boto3.client(...)` reads the variables set here inside the block, and only
    there. Yields the variables it set.
    """
    env = os.environ if environ is None else environ
    wanted = emulator_variables(endpoint_url, region, access_key, secret_key)
    saved = {name: env.get(name) for name in (*wanted, *CLEARED)}
    boto3 = sys.modules.get("boto3")
    saved_session = getattr(boto3, "DEFAULT_SESSION", None)
    try:
        for name in CLEARED:
            env.pop(name, None)
        env.update(wanted)
        if boto3 is not None:
            boto3.DEFAULT_SESSION = None  # type: ignore[attr-defined]
        yield dict(wanted)
    finally:
        for name, value in saved.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        boto3 = sys.modules.get("boto3")
        if boto3 is not None:
            boto3.DEFAULT_SESSION = saved_session  # type: ignore[attr-defined]
