"""`make audit` (scripts/audit) never reads an unchecked lock as clean, and accepts only what README explains.

pip-audit exits 0 when the vulnerability service had no answer for a package (it lists it as skipped), and
this machine's index serves packages but no vulnerability data: without scripts/audit's checks every run
here would print "No known vulnerabilities found". A stand-in pip-audit (PIP_AUDIT) plays the service's
answers, so no network is used.
"""

import os
import re
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "audit"
LOCKS = ["requirements.lock", "requirements-dev.lock", "requirements-rasa.lock"]


def _accepted() -> list[str]:
    lines = (ROOT / "audit-accepted.txt").read_text().splitlines()
    return [line.split()[0] for line in (re.sub(r"#.*", "", x).strip() for x in lines) if line]


def _audit(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    """Run scripts/audit with a pip-audit that logs its arguments and then runs `body`."""
    calls = tmp_path / "calls"
    fake = tmp_path / "pip-audit"
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$*" >> {calls}\n{body}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PIP_AUDIT": str(fake), "PIP_AUDIT_SERVICE": "pypi"}
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    return done, [line.split() for line in calls.read_text().splitlines()]


def test_clean_answers_pass_and_accepted_advisories_apply_to_the_rasa_lock_only(tmp_path):
    done, calls = _audit(tmp_path, 'echo "No known vulnerabilities found"')
    assert done.returncode == 0, done.stderr
    assert [c[c.index("-r") + 1] for c in calls] == LOCKS
    for call in calls:
        assert "--require-hashes" in call and "--disable-pip" in call
        ignored = [call[i + 1] for i, arg in enumerate(call) if arg == "--ignore-vuln"]
        lock = call[call.index("-r") + 1]
        assert ignored == (_accepted() if lock == "requirements-rasa.lock" else [])


def test_packages_the_service_could_not_check_fail_the_audit(tmp_path):
    done, _ = _audit(
        tmp_path,
        'echo "No known vulnerabilities found"\n'
        'echo "absl-py Dependency not found on PyPI and could not be audited: absl-py (1.4.0)"\nexit 0',
    )
    assert done.returncode == 1
    assert done.stderr.count("NOT AUDITED") == len(LOCKS)
    assert "had no answer for 1 of" in done.stderr


def test_an_unreachable_service_says_so(tmp_path):
    done, _ = _audit(tmp_path, 'echo "requests.exceptions.ConnectionError: Failed to resolve" >&2; exit 1')
    assert done.returncode == 1
    assert done.stderr.count("could not be reached") == len(LOCKS)


def test_a_finding_fails_the_audit(tmp_path):
    done, _ = _audit(
        tmp_path, 'echo "Found 1 known vulnerability in 1 package"\necho "flask 3.1.3 GHSA-xxxx 3.1.4"\nexit 1'
    )
    assert done.returncode == 1
    assert done.stderr.count("known vulnerabilities") == len(LOCKS)


def test_every_accepted_advisory_is_explained_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Dependencies") :]
    section = section[: section.index("\n## ", 1)]
    accepted = _accepted()
    assert accepted
    for advisory in accepted:
        assert advisory in section, f"{advisory} is accepted in audit-accepted.txt but not explained in README"
