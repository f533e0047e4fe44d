"""Shared fixtures: a real index over the committed documents, built once per run."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)  # tests refer to repo files by relative path
# Staff documents live in the instance's data directory; a test must never read a developer's.
os.environ["KNOWLEDGE_DATA_DIR"] = tempfile.mkdtemp(prefix="knowledge-data-")
atexit.register(shutil.rmtree, os.environ["KNOWLEDGE_DATA_DIR"], True)


@pytest.fixture(scope="session")
def kb(tmp_path_factory):
    """A KnowledgeBase built from knowledge/docs into a temporary index directory."""
    from knowledge import KnowledgeBase, Settings

    settings = Settings.from_env()
    index_dir = tmp_path_factory.mktemp("index") / "index"
    return KnowledgeBase.build(settings, index_dir=index_dir)
