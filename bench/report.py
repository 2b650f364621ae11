"""From a run's results (one JSON-ready dict) to its summary, its targets and its files.

Pure functions of the results, so a report can be rebuilt from a saved JSON file
(`python -m bench.report bench/results/latest.json`) and tested without running anything.
The targets are issue 13's, as ratios measured side by side: reported, never asserted.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

# The pairs measured side by side in every round: key -> (figure, what the reference is).
PAIRS: dict[str, tuple[str, str]] = {
    "launch": ("launch → first token", "moto_server"),
    "seq_cpt": ("sequential boto3 CreateParticipantToken", "canned-response server"),
    "seq_get": ("sequential boto3 GetStage", "canned-response server"),
    "c16_cpt": ("16 connections, CreateParticipantToken", "PyJWT ES384 signing, 2 threads"),
    "c16_get": ("16 connections, GetStage", "trivial Flask app, same server settings"),
}
SCALING_OPERATIONS = ("CreateParticipantToken", "GetStage", "ListStages", "ListParticipants")
SCALING_BOUND = 1.3
TOKENS_FOR_MEMORY_TARGET = 100_000
MEMORY_BOUND_MIB = 50.0


@dataclass(frozen=True)
class Target:
    name: str
    measured: float | None  # None: not measured in this run
    goal: float
    at_most: bool  # True: measured <= goal passes; False: measured >= goal passes
    unit: str = ""  # "" for a ratio
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.measured is None or self.measured != self.measured:  # None or NaN
            return "n/a"
        ok = self.measured <= self.goal if self.at_most else self.measured >= self.goal
        return "pass" if ok else "FAIL"


# -- reading the results ---------------------------------------------------------------------


def pair_rounds(results: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The rounds of one pair in which both sides were measured."""
    pair = results.get("pairs", {}).get(key) or {}
    return [r for r in pair.get("rounds", []) if r.get("emulator") and r.get("reference")]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def side(results: dict[str, Any], key: str, who: str, field: str = "value") -> float | None:
    """Median over the rounds of one side's figure."""
    return _median([r[who][field] for r in pair_rounds(results, key) if field in r[who]])


def ratios(results: dict[str, Any], key: str, field: str = "value") -> list[float]:
    """Emulator over reference, round by round (each pair measured side by side)."""
    return [
        r["emulator"][field] / r["reference"][field]
        for r in pair_rounds(results, key)
        if r["reference"].get(field)
    ]


def growth_mib(results: dict[str, Any]) -> tuple[float, int] | None:
    """(RSS growth in MiB, tokens issued) of the memory run, if it ran."""
    growth = results.get("growth") or {}
    if "after" not in growth or "idle" not in growth:
        return None
    grown = (growth["after"]["rss_kib"] - growth["idle"]["rss_kib"]) / 1024
    return grown, int(growth.get("issued", 0))


def targets(results: dict[str, Any]) -> list[Target]:
    """Issue 13's targets, each as measured in this run."""
    found = [
        Target(
            "CreateParticipantToken at 16 connections / PyJWT ES384 on 2 threads",
            _median(ratios(results, "c16_cpt")), 0.30, at_most=False,
        ),
        Target(
            "CreateParticipantToken at 16 connections, p99",
            side(results, "c16_cpt", "emulator", "p99_ms"), 15.0, at_most=True, unit="ms",
        ),
        Target(
            "GetStage at 16 connections / trivial Flask app",
            _median(ratios(results, "c16_get")), 0.6, at_most=False,
        ),
        Target(
            "GetStage at 16 connections, p99",
            side(results, "c16_get", "emulator", "p99_ms"), 10.0, at_most=True, unit="ms",
        ),
        Target(
            "sequential boto3 CreateParticipantToken / canned server",
            _median(ratios(results, "seq_cpt")), 0.6, at_most=False,
        ),
        Target(
            "sequential boto3 GetStage / canned server",
            _median(ratios(results, "seq_get")), 0.6, at_most=False,
        ),
        Target(
            "launch → first token / moto_server's launch → first call",
            _median(ratios(results, "launch")), 0.5, at_most=True,
        ),
        Target(
            "idle RSS of all processes / moto_server's",
            _median(ratios(results, "launch", "rss_kib")), 1.0, at_most=True,
        ),
    ]  # fmt: skip
    growth = growth_mib(results)
    measured, note = None, ""
    if growth is not None and growth[1] > 0:
        measured = growth[0] * TOKENS_FOR_MEMORY_TARGET / growth[1]
        if growth[1] < TOKENS_FOR_MEMORY_TARGET * 0.95:
            note = f"extrapolated from {growth[1]:,} tokens"
    found.append(
        Target(
            f"RSS growth after {TOKENS_FOR_MEMORY_TARGET // 1000}k tokens on one stage",
            measured, MEMORY_BOUND_MIB, at_most=True, unit="MiB", note=note,
        )
    )  # fmt: skip
    scaling_ratios = (results.get("scaling") or {}).get("ratios") or {}
    for op in (*SCALING_OPERATIONS, "reset"):
        ratio = scaling_ratios.get(op)
        found.append(
            Target(
                f"scaling: {op}, largest state / smallest",
                None if ratio is None else ratio["side_by_side"],
                SCALING_BOUND,
                at_most=True,
                note="point 1: reset O(1) in state size" if op == "reset" else "",
            )
        )
    return found


# -- writing ---------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}/s"


def _mib(kib: float | None) -> str:
    return "—" if kib is None else f"{kib / 1024:.0f} MiB"


def _processes(count: float | None) -> str:
    if count is None:
        return "—"
    return f"{count:.0f} process" + ("" if round(count) == 1 else "es")


def _ratio_cell(values: Sequence[float], digits: int = 2) -> str:
    if not values:
        return "—"
    text = _num(statistics.median(values), digits)
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}–{max(values):.{digits}f})"
    return text


def _latency(results: dict[str, Any], key: str, who: str) -> str:
    p50, p99 = side(results, key, who, "p50_ms"), side(results, key, who, "p99_ms")
    if p50 is None or p99 is None:
        return ""
    return f", p50 {p50:.1f} ms, p99 {p99:.1f} ms"


def side_by_side_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    pairs = results.get("pairs", {})

    def reference_name(key: str) -> str:
        return str((pairs.get(key) or {}).get("reference") or PAIRS[key][1])

    def missing(key: str) -> str:
        error = (pairs.get(key) or {}).get("error")
        return f"not measured: {error}" if error else "not measured"

    rows: list[tuple[str, str, str, str]] = []
    formats: dict[str, Callable[[float | None], str]] = {
        "launch": lambda v: "—" if v is None else f"{v:.2f} s",
    }
    for key, (figure, _) in PAIRS.items():
        if not pair_rounds(results, key):
            rows.append((figure, missing(key), reference_name(key), "—"))
            continue
        shown = formats.get(key, _rate)
        mine = shown(side(results, key, "emulator")) + _latency(results, key, "emulator")
        theirs = shown(side(results, key, "reference")) + _latency(results, key, "reference")
        digits = 3 if key == "c16_cpt" else 2
        ratio = _ratio_cell(ratios(results, key), digits)
        rows.append((figure, mine, f"{reference_name(key)}: {theirs}", ratio))
        if key == "launch":
            processes = side(results, key, "emulator", "processes")
            theirs_processes = side(results, key, "reference", "processes")
            rows.append(
                (
                    "idle RSS, all processes (after the first call)",
                    f"{_mib(side(results, key, 'emulator', 'rss_kib'))} ({_processes(processes)})",
                    f"moto_server: {_mib(side(results, key, 'reference', 'rss_kib'))} "
                    f"({_processes(theirs_processes)})",
                    _ratio_cell(ratios(results, key, "rss_kib")),
                )
            )
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _meta_lines(results: dict[str, Any]) -> list[str]:
    meta = results.get("meta", {})
    packages = " · ".join(f"{name} {version}" for name, version in meta.get("packages", {}).items())
    load = meta.get("load_average") or []
    commit = meta.get("commit", "?")
    settings = meta.get("settings", {})
    return [
        f"{meta.get('date', '?')} · {meta.get('seconds', 0):.0f} s · commit {commit}"
        f" · {meta.get('cpu', '?')}, {meta.get('cpus', '?')} CPUs"
        + (f" · load average {load[0]:.2f} → {load[-1]:.2f}" if load else ""),
        "",
        f"Python {meta.get('python', '?')} · {packages}",
        "",
        f"Load at 16 connections: {meta.get('loadgen', '?')}. "
        f"{settings.get('rounds', '?')} rounds; in each, every pair below measured side by side "
        f"(pairs in rotated order, the two sides in alternating order), "
        f"{settings.get('burst', '?')} s a measurement. Figures: medians over the rounds; "
        "ratios: median of the per-round ratios (lowest–highest).",
    ]


def _memory_lines(results: dict[str, Any]) -> list[str]:
    growth = results.get("growth") or {}
    if "after" not in growth:
        return [f"Not measured: {growth.get('error', 'skipped')}"]
    issued = int(growth["issued"])
    grown = growth["after"]["rss_kib"] - growth["idle"]["rss_kib"]
    row = [
        _mib(growth["idle"]["rss_kib"]) + f" ({growth['idle']['processes']} processes)",
        f"{_mib(growth['after']['rss_kib'])} after {issued:,} tokens",
        f"{grown / 1024:+.1f} MiB",
        f"{grown / issued:.2f} KiB" if issued else "—",
    ]
    header = ["idle", "after the tokens", "growth", "per token"]
    if "after_expiry" in growth:
        more = int(growth.get("issued_after_expiry", 0))
        later = growth["after_expiry"]["rss_kib"] - growth["after"]["rss_kib"]
        header.append(f"clock +{growth.get('advance_days', '?')} days, then more tokens")
        row.append(f"{later / 1024:+.1f} MiB for {more:,} tokens")
    return [
        f"The console script as users start it, fresh; one stage; CreateParticipantToken from "
        f"the 16-connection load; RSS of all its processes. Errors: {growth.get('errors', 0)}.",
        "",
        *_table(header, [row]),
    ]


def _scaling_lines(results: dict[str, Any]) -> list[str]:
    scaling = results.get("scaling") or {}
    if "columns" not in scaling:
        return [f"Not measured: {scaling.get('error', 'skipped')}"]
    columns = scaling["columns"]
    labels = [
        c["label"] + ("" if c["reached"] else f" (only {c[c['kind']]:,}: time budget)")
        for c in columns
    ]
    rows = []
    for op in (*SCALING_OPERATIONS, "reset"):
        cells = scaling["reset"] if op == "reset" else scaling["operations"].get(op, [])
        shown = [
            "—" if cell is None else f"{cell['ms']:.3f} ms ({cell['relative']:.2f}×)"
            for cell in cells
        ]
        ratio = (scaling.get("ratios") or {}).get(op)
        verdict = "—"
        if ratio is not None:
            ok = "pass" if ratio["side_by_side"] <= SCALING_BOUND else "FAIL"
            verdict = f"{ratio['side_by_side']:.2f} {ok} (absolute {ratio['absolute']:.2f})"
        rows.append([op, *shown, verdict])
    base = scaling.get("baseline", {})
    return [
        "In process (`emulator.create_app`, called through WSGI): per cell, the median CPU "
        f"time (of the calling thread) of {scaling.get('samples', '?')} calls; (×): over a "
        "baseline emulator called in the same moments. Every column also holds the baseline: "
        f"{base.get('stages', '?')} stages, the probe stage with a session of "
        f"{base.get('participants', '?')} participants (so '0 tokens' is their "
        f"{base.get('participants', '?')}); pages of {base.get('page', '?')}. Tokens are "
        "issued on the probe stage; stage columns count every stage in the region. Reset is "
        "timed once per kind, at its largest column. Last column: the largest (×), i.e. the "
        "cost at the worst state over the baseline's in the same moments (goal ≤ "
        f"{SCALING_BOUND}; the first column's (×) shows the noise floor, about 1); absolute: "
        "the largest median over the first column's, timed minutes apart.",
        "",
        *_table(["operation", *labels, "largest / smallest"], rows),
    ]


def markdown(results: dict[str, Any]) -> str:
    mode = results.get("meta", {}).get("mode", "")
    lines = [f"# ivs-realtime-emulator benchmark ({mode} run)", "", *_meta_lines(results), ""]
    lines += ["## Issue 13 targets", ""]
    rows = []
    for target in results.get("targets") or with_targets(results)["targets"]:
        measured = target["measured"]
        unit = target["unit"]
        value = "—" if measured is None else f"{measured:,.3g}" + (f" {unit}" if unit else "")
        goal = (
            ("≤ " if target["at_most"] else "≥ ")
            + f"{target['goal']:g}"
            + (f" {unit}" if unit else "")
        )
        name = target["name"] + (f" ({target['note']})" if target["note"] else "")
        rows.append([name, value, goal, target["verdict"]])
    lines += _table(["target", "measured", "goal", "result"], rows)
    lines += ["", "## Side by side", ""]
    lines += _table(["figure", "emulator", "reference", "ratio"], side_by_side_rows(results))
    notes = results.get("notes") or []
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    lines += ["", "## Memory", "", *_memory_lines(results)]
    lines += ["", "## Scaling", "", *_scaling_lines(results), ""]
    return "\n".join(lines)


def with_targets(results: dict[str, Any]) -> dict[str, Any]:
    """The results with their `targets` list (each with its verdict) filled in."""
    filled = dict(results)
    filled["targets"] = [asdict(t) | {"verdict": t.verdict} for t in targets(results)]
    return filled


def write(results: dict[str, Any], directory: Path = RESULTS) -> list[Path]:
    """latest.json/.md and <mode>.json/.md in `directory`; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    table = markdown(results)
    written = []
    for stem in ("latest", results.get("meta", {}).get("mode") or "run"):
        for suffix, content in ((".json", text), (".md", table)):
            path = directory / f"{stem}{suffix}"
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.report FILE.json`: print the Markdown report of saved results."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else RESULTS / "latest.json"
    print(markdown(with_targets(json.loads(path.read_text(encoding="utf-8")))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
