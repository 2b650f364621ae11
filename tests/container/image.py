"""Build the container image with whichever engine works here, and find how to run it.

Used by `make image`, `make image-test` and tests/container/test_image.py; standard library only,
so any python3 runs it:

    python3 tests/container/image.py build [--tag ivs-realtime-emulator]

The engine is docker when its daemon answers, else podman. The base is the Dockerfile's default
(python:3.11-slim) when the engine has it or can pull it; otherwise a local Debian bookworm base
with python3 is made once with debootstrap (Debian's mirror is reachable where image registries
are not) and kept in the engine's image store, so later builds start at once.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
# The recipe's version is in the tag: change the recipe, bump it, and the base is made anew.
LOCAL_BASE = "localhost/ivs-realtime-emulator-base:bookworm-python3-2"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = os.environ.get("IVS_IMAGE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ivs-realtime-emulator"
PULL_TIMEOUT = 60.0
# Plenty for the emulator (a process and its threads), and within what podman may set here.
SMALL_NPROC = 4096


def log(message: str) -> None:
    print(f"[image] {message}", file=sys.stderr, flush=True)


def run(command: list[str], timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass(frozen=True)
class Engine:
    """A container engine's command line: docker or podman."""

    name: str
    program: str

    def __call__(self, *args: str, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        return run([self.program, *args], timeout=timeout)

    def has_image(self, image: str) -> bool:
        return self("image", "inspect", image, timeout=30).returncode == 0

    def inspect_image(self, image: str) -> dict[str, Any]:
        done = self("image", "inspect", image, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"{self.name} image inspect {image}: {done.stderr.strip()}")
        found = json.loads(done.stdout)
        assert isinstance(found, list) and isinstance(found[0], dict)
        return found[0]


def find_engine() -> Engine | None:
    """Docker if its daemon answers, else podman if it works; IVS_IMAGE_ENGINE picks one."""
    wanted = os.environ.get("IVS_IMAGE_ENGINE")
    for name in [wanted] if wanted else ["docker", "podman"]:
        program = shutil.which(name)
        if program is None:
            continue
        try:
            if run([program, "info"], timeout=30).returncode == 0:
                return Engine(name, program)
        except subprocess.TimeoutExpired:
            continue
    return None


def default_base() -> str:
    """The Dockerfile's `ARG BASE=...` default: the registry image it builds from."""
    found = re.search(r"^ARG BASE=(\S+)", DOCKERFILE.read_text("utf-8"), re.MULTILINE)
    if found is None:
        raise RuntimeError("the Dockerfile has no `ARG BASE=...` line")
    return found.group(1)


def choose_base(engine: Engine) -> str:
    """IVS_IMAGE_BASE, else the registry base if present or pullable, else the local base."""
    if chosen := os.environ.get("IVS_IMAGE_BASE"):
        return chosen
    registry = default_base()
    if engine.has_image(registry):
        return registry
    log(f"pulling {registry}")
    try:
        pulled = engine("pull", registry, timeout=PULL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pulled = None
    if pulled is not None and pulled.returncode == 0:
        return registry
    reason = pulled.stderr.strip().splitlines()[-1] if pulled and pulled.stderr else "timed out"
    log(f"no registry ({reason}): using the local base {LOCAL_BASE}")
    ensure_local_base(engine)
    return LOCAL_BASE


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """One process at a time (several worktrees may run the image test at once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_local_base(engine: Engine) -> None:
    """Debian bookworm (minbase) with python3, venv and pip, shaped like python:slim."""
    with locked("base"):
        if engine.has_image(LOCAL_BASE):
            return
        debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
        if not Path(debootstrap).exists():
            raise RuntimeError("no registry and no debootstrap: apt-get install debootstrap")
        if os.geteuid() != 0:
            raise RuntimeError("debootstrap needs root to make the local base: run as root")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=CACHE, prefix="rootfs-") as work:
            rootfs = Path(work) / "rootfs"
            log(f"debootstrap {DEBIAN_SUITE} from {DEBIAN_MIRROR} (about a minute)")
            done = run(
                [
                    "nice", debootstrap, "--variant=minbase",
                    "--include=python3,python3-venv,python3-pip",
                    DEBIAN_SUITE, str(rootfs), DEBIAN_MIRROR,
                ],
                timeout=1800,
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"debootstrap failed:\n{done.stdout[-3000:]}{done.stderr}")
            shape_like_python_slim(rootfs)
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
            imported = subprocess.run(
                [
                    engine.program, "import",
                    "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "--change", "ENV LANG=C.UTF-8",
                    "--change", 'CMD ["python3"]',
                    "-", LOCAL_BASE,
                ],
                stdin=tar.stdout, capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert tar.stdout is not None
            tar.stdout.close()
            if tar.wait() != 0 or imported.returncode != 0:
                raise RuntimeError(f"{engine.name} import failed: {imported.stderr.strip()}")
        log(f"made {LOCAL_BASE} in {time.monotonic() - started:.0f} s")


def shape_like_python_slim(rootfs: Path) -> None:
    """A `python` command, and pip allowed to install into the system (as on python:slim)."""
    (rootfs / "usr/bin/python").symlink_to("python3")
    for marker in glob.glob(str(rootfs / "usr/lib/python3*/EXTERNALLY-MANAGED")):
        os.remove(marker)
    # What apt downloaded and indexed, manuals and translations are not needed in the image
    # (python:slim has none either); the copyright files stay.
    for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (rootfs / leftover).glob("*"):
            if path.is_file():
                path.unlink()
    for unused in ("usr/share/man", "usr/share/info", "usr/share/locale"):
        for path in (rootfs / unused).glob("*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    for path in (rootfs / "usr/share/doc").rglob("*"):
        if path.is_file() and path.name != "copyright":
            path.unlink()


def pip_ca_bundle() -> str | None:
    """The CA bundle this machine's pip is configured with (PIP_CERT or a `cert` setting)."""
    if cert := os.environ.get("PIP_CERT"):
        return cert if Path(cert).is_file() else None
    for python in (sys.executable, shutil.which("python3")):
        if not python:
            continue
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            listed = run([python, "-m", "pip", "config", "list"], timeout=60)
            for line in listed.stdout.splitlines():
                key, _, value = line.partition("=")
                if key.endswith(".cert"):
                    cert = value.strip().strip("'\"")
                    return cert if Path(cert).is_file() else None
    return None


@dataclass(frozen=True)
class Built:
    tag: str
    base: str
    seconds: float
    size_bytes: int


def build(engine: Engine, tag: str, base: str | None = None) -> Built:
    """Build the Dockerfile as `tag` from `base` (chosen by choose_base when not given)."""
    base = base or choose_base(engine)
    command = ["nice", engine.program, "build", "--build-arg", f"BASE={base}", "-t", tag]
    if engine.name == "podman":
        # docker format keeps the HEALTHCHECK (the OCI format has no field for it); chroot
        # isolation needs no runtime; the host network lets pip reach the package index.
        command += ["--format", "docker", "--isolation", "chroot", "--network", "host"]
        if cert := pip_ca_bundle():
            # pip inside trusts this machine's CA bundle too (Debian's pip uses the system one).
            command += ["-v", f"{cert}:{cert}:ro"]
    command.append(str(ROOT))
    log(" ".join(command[1:]))
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    size = engine.inspect_image(tag).get("Size", 0)
    return Built(tag, base, seconds, int(size) if isinstance(size, int | float) else 0)


def limit_options() -> list[list[str]]:
    """`--ulimit` options to try: this machine's hard limits, then a small process limit.

    A runtime cannot raise a limit above what its caller may (crun: `setrlimit ... Operation
    not permitted`), and podman's own process limit may be below the shell's.
    """
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    ladder: list[list[str]] = []
    for files, processes in ((nofile, nproc), (nofile, min(nproc, SMALL_NPROC))):
        options: list[str] = []
        if files != resource.RLIM_INFINITY:
            options += ["--ulimit", f"nofile={files}:{files}"]
        if processes != resource.RLIM_INFINITY:
            options += ["--ulimit", f"nproc={processes}:{processes}"]
        if options not in ladder:
            ladder.append(options)
    return ladder


def runtime_options(engine: Engine, image: str) -> list[str] | None:
    """The `run` options with which a container of `image` starts here, or None if none does.

    Tried in turn: the engine's defaults, then (podman) the default runtime and each installed
    OCI runtime (runc, crun) with the limits of limit_options().
    """
    candidates: list[list[str]] = [[]]
    if engine.name == "podman":
        runtimes: list[list[str]] = [[]] + [
            ["--runtime", r] for r in ("runc", "crun") if shutil.which(r)
        ]
        candidates += [runtime + limits for runtime in runtimes for limits in limit_options()]
    for options in candidates:
        probe = ["run", "--rm", "--no-healthcheck", *options, image, "python", "-c", "pass"]
        try:
            tried = engine(*probe, timeout=120)
        except subprocess.TimeoutExpired:
            continue
        if tried.returncode == 0:
            return options
        reason = tried.stderr.strip().splitlines()[-1:] or ["failed"]
        log(f"run {' '.join(options) or '(defaults)'}: {reason[0][-300:]}")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser("build", help="build the image")
    building.add_argument("--tag", default="ivs-realtime-emulator")
    commands.add_parser("base", help="print the base the build would use (making it if needed)")
    arguments = parser.parse_args()
    engine = find_engine()
    if engine is None:
        print("no container engine works here: install podman (or docker)", file=sys.stderr)
        return 1
    if arguments.command == "base":
        print(choose_base(engine))
        return 0
    built = build(engine, arguments.tag)
    print(
        f"built {built.tag} with {engine.name} from {built.base} in {built.seconds:.1f} s; "
        f"image size {built.size_bytes / 1e6:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
