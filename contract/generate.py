"""Regenerate the pinned IVS Real-Time service model from the installed botocore.

Usage: python contract/generate.py [--check]

Writes contract/ivs-realtime-2020-07-14.json (the botocore model with every
documentation string removed) and contract/provenance.json (where it came from).
With --check, writes nothing and exits 1 when the pinned files differ from what
the installed botocore would produce.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODEL_FILE = HERE / "ivs-realtime-2020-07-14.json"
PROVENANCE_FILE = HERE / "provenance.json"
SOURCE = "botocore/data/ivs-realtime/2020-07-14/service-2.json.gz"
DROPPED_KEYS = {"documentation", "documentationUrl"}


def strip_documentation(node: Any) -> Any:
    """Return the model with documentation keys removed at every level."""
    if isinstance(node, dict):
        return {k: strip_documentation(v) for k, v in node.items() if k not in DROPPED_KEYS}
    if isinstance(node, list):
        return [strip_documentation(v) for v in node]
    return node


def render() -> dict[str, str]:
    """Produce the text of every pinned file from the installed botocore."""
    import botocore

    raw = (
        Path(botocore.__file__).parent / "data/ivs-realtime/2020-07-14/service-2.json.gz"
    ).read_bytes()
    model = strip_documentation(json.loads(gzip.decompress(raw)))
    provenance = {
        "botocore_version": botocore.__version__,
        "source": SOURCE,
        "source_sha256": hashlib.sha256(gzip.decompress(raw)).hexdigest(),
        "operations": len(model["operations"]),
        "transformation": "documentation and documentationUrl keys removed; nothing else changed",
    }
    return {
        MODEL_FILE.name: json.dumps(model, indent=1, ensure_ascii=False) + "\n",
        PROVENANCE_FILE.name: json.dumps(provenance, indent=2) + "\n",
    }


def main(argv: list[str]) -> int:
    files = render()
    if "--check" in argv:
        stale = [n for n, text in files.items() if (HERE / n).read_text("utf-8") != text]
        for name in stale:
            print(f"contract/{name} differs from the installed botocore; run `make contract`")
        return 1 if stale else 0
    for name, text in files.items():
        (HERE / name).write_text(text, "utf-8")
        print(f"wrote contract/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
