"""No module of the data flow grows past 400 lines: the limit the team keeps (README, issue 19), checked
here because a module crept to 410 lines once before anyone counted."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400


def test_no_module_in_knowledge_actions_or_bot_is_over_400_lines():
    modules = [p for folder in ("knowledge", "actions", "bot") for p in (ROOT / folder).rglob("*.py")]
    assert len(modules) > 50
    long = {str(p.relative_to(ROOT)): n for p in modules if (n := len(p.read_text("utf-8").splitlines())) > LIMIT}
    assert not long, long
