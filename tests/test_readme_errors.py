"""The README's "Reaching every error of CreateParticipantToken" example runs as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from emulator import Config, create_app
from emulator.testing import LiveServer

README = Path(__file__).resolve().parent.parent / "README.md"


def section_code() -> str:
    text = README.read_text("utf-8")
    start = text.index("## Reaching every error of CreateParticipantToken")
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match is not None
    return match.group(1)


def test_readme_example_reaches_all_five_errors() -> None:
    config = Config(
        denied=frozenset({"111111111111"}),
        pending_verification=frozenset({"222222222222"}),
        participant_token_quota=1,
    )
    with LiveServer(create_app(config)) as server:
        code = section_code().replace("http://127.0.0.1:4599", server.url)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), {})
    expected = re.findall(r"^# (\(.*\))$", section_code(), re.M)
    assert printed.getvalue().splitlines() == expected
    assert len(expected) == 5
