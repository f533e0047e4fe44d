"""scripts/make-venv refuses up front when the disk cannot hold a new environment, and installs the locks.

A full disk used to surface minutes into set-up as pip's "No space left on device" with a
half-built environment left behind; it must say so first and create nothing.
"""

import os
import stat
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # creates virtualenvs: left out of make test-fast

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make-venv"


def _executable(path: Path, body: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _make_venv(tmp_path: Path, free_kb: int) -> subprocess.CompletedProcess:
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    # df -Pk as POSIX prints it, with the free space we want the script to see.
    _executable(
        fakes / "df",
        f'echo "Filesystem 1024-blocks Used Available Capacity Mounted on"\n'
        f'echo "/dev/vda 264241152 1000 {free_kb} 1% /"\n',
    )
    # A python whose "-m venv DIR" makes a DIR/bin/python that logs each pip call.
    calls = tmp_path / "calls"
    python = _executable(
        tmp_path / "python",
        f"""
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/usr/bin/env bash\\necho "$*" >> {calls}\\n' > "$3/bin/python"
  chmod +x "$3/bin/python"
else
  echo "Python 3.10.13"
fi
""",
    )
    env = {**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}", "TMPDIR": str(tmp_path)}
    return subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "venv"), str(python), "requirements.lock", "requirements-dev.lock"],
        capture_output=True,
        text=True,
        env=env,
    )


def test_a_full_disk_is_refused_before_anything_is_created(tmp_path):
    done = _make_venv(tmp_path, free_kb=1 * 1024 * 1024)
    assert done.returncode == 1
    assert "needs about 4 GB free" in done.stderr and "has 1 GB" in done.stderr
    assert not (tmp_path / "venv").exists()
    assert not (tmp_path / "calls").exists()


def test_enough_room_creates_the_environment_and_installs(tmp_path):
    done = _make_venv(tmp_path, free_kb=50 * 1024 * 1024)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "venv" / "bin" / "python").exists()
    assert (tmp_path / "calls").read_text().splitlines() == [
        "-m pip install --quiet --upgrade pip",
        "-m pip install --quiet --require-hashes -r requirements.lock",
        "-m pip install --quiet --require-hashes -r requirements-dev.lock",
    ]
