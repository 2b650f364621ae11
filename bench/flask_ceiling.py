"""The framework's ceiling: a trivial Flask app served exactly as the console script serves.

`python -m bench.flask_ceiling --port P` runs the `ivs-realtime-emulator` console script (its
entry point, from the installed package's metadata) with one change: Granian's `serve` is
wrapped so that, in the worker, the emulator's own loader runs as usual (same process layout,
same logging set-up, same Granian options, threads and workers) and then a trivial Flask app
is served in place of the emulator. That app answers every POST with the emulator's recorded
GetStage answer (bench/bodies.py) and the header `x-bench-ceiling: flask`, so the harness can
tell it is really answering. If the console script stops serving through Granian, the wrap
does not take, the emulator answers instead, and the harness reports the ceiling missing
rather than a wrong figure.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import partial
from importlib.metadata import entry_points
from typing import Any

from flask import Flask, Response, request

from .bodies import GET_STAGE, record

CONSOLE_SCRIPT = "ivs-realtime-emulator"
MARKER = "x-bench-ceiling"


def trivial_app(body: bytes, content_type: str) -> Flask:
    """Reads the request body and answers the fixed JSON body: nothing else per request."""
    app = Flask("flask_ceiling")

    def answer(path: str = "") -> Response:
        request.get_data()
        return Response(body, content_type=content_type, headers={MARKER: "flask"})

    app.add_url_rule("/", "root", answer, methods=["GET", "POST"])
    app.add_url_rule("/<path:path>", "any", answer, methods=["GET", "POST"])
    return app


def ceiling_loader(original: Callable[[], Any]) -> Flask:
    """Runs in Granian's worker: the console script's loader, then the trivial app instead."""
    original()
    recorded = record().answers[GET_STAGE]
    return trivial_app(recorded.body, recorded.content_type)


def _wrap_granian() -> None:
    from granian.server.common import AbstractServer

    serve = AbstractServer.serve

    def wrapped(
        self: Any,
        spawn_target: Any = None,
        target_loader: Any = None,
        wrap_loader: bool = True,
    ) -> Any:
        if target_loader is not None:
            loader = partial(target_loader, self.target) if wrap_loader else target_loader
            target_loader, wrap_loader = partial(ceiling_loader, loader), False
        return serve(self, spawn_target, target_loader, wrap_loader)

    AbstractServer.serve = wrapped  # type: ignore[method-assign]


def console_script_main() -> Callable[[Sequence[str]], int]:
    (entry,) = entry_points(group="console_scripts", name=CONSOLE_SCRIPT)
    main: Callable[[Sequence[str]], int] = entry.load()
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Arguments are the console script's (`--port P`, ...)."""
    _wrap_granian()
    return console_script_main()(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
