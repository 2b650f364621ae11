"""docs/errors.md's "Reaching every error of CreateParticipantToken" example runs as written."""

from __future__ import annotations

import contextlib
import io
import re

from emulator import Config, create_app
from emulator.testing import LiveServer
from tests.doc_examples import DOCUMENTED_URL, code_block

DOC, HEADING = "docs/errors.md", "Reaching every error of CreateParticipantToken"


def test_the_errors_example_reaches_all_five_errors() -> None:
    example = code_block(DOC, HEADING, "python")
    config = Config(
        denied=frozenset({"111111111111"}),
        pending_verification=frozenset({"222222222222"}),
        participant_token_quota=1,
    )
    with LiveServer(create_app(config)) as server:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(example.replace(DOCUMENTED_URL, server.url), DOC, "exec"), {})
    expected = re.findall(r"^# (\(.*\))$", example, re.M)
    assert printed.getvalue().splitlines() == expected
    assert len(expected) == 5
