"""Testing code that builds its own boto3 client, against the emulator.

The `ivs_emulator_env` fixture sets AWS_ENDPOINT_URL_IVS_REALTIME, test credentials and a region
for the test, and puts the environment back after it: every client the code under test creates
reaches the emulator, as moto's mock_aws does for its mocks. Nothing else to set up.
"""

from __future__ import annotations

from typing import Any

import boto3


# The code under test: it builds its own client from the environment, as deployed code does.
def open_stage(name: str) -> str:
    """Create a stage for an event; its ARN."""
    ivs = boto3.client("ivs-realtime")
    return str(ivs.create_stage(name=name, tags={"event": name})["stage"]["arn"])


def test_code_that_builds_its_own_client_reaches_the_emulator(
    ivs_emulator_env: dict[str, str], ivs_realtime_client: Any
) -> None:
    arn = open_stage("town-hall")
    stage = ivs_realtime_client.get_stage(arn=arn)["stage"]
    assert (stage["name"], stage["tags"]) == ("town-hall", {"event": "town-hall"})
