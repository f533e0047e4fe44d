"""The locks say what the hand-edited inputs say, carry hashes, and keep tools and CUDA out.

`make lock` writes requirements*.lock from requirements*.txt; `make setup` installs only the locks, with
--require-hashes. A pin edited in an input without `make lock`, a lock line without a hash (pip would
refuse the whole file), a test tool in the runtime lock, or a torch that pulls CUDA must fail here,
before an install does. Reads files only: no network, no pip.
"""

import hashlib
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# input -> lock, as scripts/lock writes them
PAIRS = {
    "requirements.txt": "requirements.lock",
    "requirements-dev.txt": "requirements-dev.lock",
    "requirements-rasa.txt": "requirements-rasa.lock",
}
RUNTIME_LOCK = "requirements.lock"
TORCH_WHEELS = Path("/opt/wheels")


def _logical_lines(path: Path):
    """Requirement-file lines with comments dropped and backslash continuations joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if line:
            yield line


def read_input(name: str) -> dict[str, Requirement]:
    reqs = {}
    for line in _logical_lines(ROOT / name):
        if line.startswith("-"):  # -c requirements.lock and other pip options
            continue
        req = Requirement(line)
        reqs[canonicalize_name(req.name)] = req
    return reqs


def read_lock(name: str) -> dict[str, tuple[Version, list[str]]]:
    """name -> (locked version, hashes)."""
    locked = {}
    for line in _logical_lines(ROOT / name):
        if line.startswith("-"):  # --find-links and other pip options
            continue
        spec, *hashes = line.split(" --hash=")
        req = Requirement(spec)
        (pin,) = req.specifier
        assert pin.operator == "==", f"{name}: {line[:60]} is not an exact pin"
        locked[canonicalize_name(req.name)] = (Version(pin.version), [h.strip() for h in hashes])
    return locked


@pytest.mark.parametrize("source,lock", PAIRS.items())
def test_every_input_pin_is_locked_at_that_version(source, lock):
    wanted, locked = read_input(source), read_lock(lock)
    assert wanted, f"{source} pins nothing"
    for name, req in wanted.items():
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", (
            f"{source}: {req} must be an exact pin"
        )
        assert name in locked, f"{name} is in {source} but not in {lock}: run make lock"
        version = locked[name][0]
        # torch==2.13.0 is met by the CPU build 2.13.0+cpu (PEP 440 ignores the local label here).
        assert req.specifier.contains(version, prereleases=True), (
            f"{source} pins {req}, {lock} has {version}: run make lock"
        )


@pytest.mark.parametrize("lock", PAIRS.values())
def test_every_locked_requirement_carries_a_hash(lock):
    locked = read_lock(lock)
    assert len(locked) > 10
    for name, (_, hashes) in locked.items():
        assert hashes, f"{lock}: {name} has no --hash, so pip --require-hashes refuses the file"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), (name, hashes)


def test_no_test_or_developer_tool_in_the_runtime_lock():
    tools = set(read_input("requirements-dev.txt"))
    assert {"pytest", "ruff", "hypothesis", "pip-audit"} <= tools
    leaked = tools & set(read_lock(RUNTIME_LOCK))
    assert not leaked, f"test tools in {RUNTIME_LOCK}: {sorted(leaked)}"


def test_dev_lock_agrees_with_runtime_lock():
    # Both go into .venv; a package both need must have one version (requirements-dev.txt's -c line).
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock("requirements-dev.lock")
    differ = {n: (runtime[n][0], dev[n][0]) for n in runtime.keys() & dev.keys() if runtime[n][0] != dev[n][0]}
    assert not differ, differ


def test_torch_is_the_cpu_wheel_and_nothing_pulls_cuda():
    version, hashes = read_lock(RUNTIME_LOCK)["torch"]
    assert version.public == "2.13.0" and version.local == "cpu", version
    assert len(hashes) == 1, "torch must be locked to the one CPU wheel, not to PyPI's CUDA builds"
    for lock in PAIRS.values():
        cuda = [n for n in read_lock(lock) if n.startswith("nvidia-") or n == "triton"]
        assert not cuda, f"{lock} locks CUDA packages: {cuda}"


@pytest.mark.skipif(not any(TORCH_WHEELS.glob("torch-2.13.0+cpu-*.whl")), reason="no torch CPU wheel on this disk")
def test_torch_hash_is_the_wheel_on_disk():
    (wheel,) = TORCH_WHEELS.glob("torch-2.13.0+cpu-*.whl")
    (locked,) = read_lock(RUNTIME_LOCK)["torch"][1]
    assert locked == "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest()
