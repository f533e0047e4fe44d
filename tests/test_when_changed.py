"""scripts/when-changed reruns a command only when its inputs' content changed."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "when-changed"


def _run(tmp_path, stamp, inputs):
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            str(stamp),
            str(inputs),
            "--",
            sys.executable,
            "-c",
            f"open({str(tmp_path / 'runs')!r}, 'a').write('x')",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_reruns_on_a_changed_input_but_not_on_bytecode_caches(tmp_path):
    inputs = tmp_path / "nlu"
    inputs.mkdir()
    (inputs / "component.py").write_text("A = 1\n")
    stamp = tmp_path / "stamps" / "train"
    runs = tmp_path / "runs"

    _run(tmp_path, stamp, inputs)
    assert runs.read_text() == "x"
    # What the command itself leaves behind (Rasa importing the component) is not an input.
    (inputs / "__pycache__").mkdir()
    (inputs / "__pycache__" / "component.cpython-310.pyc").write_bytes(b"\x00bytecode")
    assert "up to date" in _run(tmp_path, stamp, inputs)
    assert runs.read_text() == "x"
    # A real change is.
    (inputs / "component.py").write_text("A = 2\n")
    _run(tmp_path, stamp, inputs)
    assert runs.read_text() == "xx"
