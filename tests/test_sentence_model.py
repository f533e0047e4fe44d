"""knowledge/sentence_model.py gives sentence-transformers' vectors without the library.

An index built before the change holds the library's vectors and the answer decision learned the
dense score's scale from them, so anything short of the same vectors would be a silent change.
"""

import json
import shutil

import numpy as np
import pytest

from knowledge.embed import resolve_model_path
from knowledge.config import DEFAULT_EMBEDDING_MODEL
from knowledge.sentence_model import SentenceModel, UnsupportedLayout, layout

pytestmark = pytest.mark.slow  # loads the model twice, and sentence-transformers

TEXTS = [
    "Where is the park?",
    "What subsidies are there for clinical trials and CXO services?",
    "园区在哪里？",
    "杭州生物科技谷位于萧山机场西侧，临空经济示范区内。" * 40,  # longer than the model's limit
    "GMP",
    "",
]


@pytest.fixture(scope="module")
def folder():
    from pathlib import Path

    return Path(resolve_model_path(DEFAULT_EMBEDDING_MODEL))


def _library(path, texts):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu").encode(texts, normalize_embeddings=True, batch_size=4)


def test_the_default_model_encodes_as_the_library_does(folder):
    ours = SentenceModel(str(folder)).encode(TEXTS, batch_size=4)
    theirs = _library(folder, TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_the_cls_pooling_of_a_bge_style_layout_is_the_librarys(folder, tmp_path):
    copy = tmp_path / "cls-model"
    shutil.copytree(folder, copy)
    config = copy / "1_Pooling" / "config.json"
    pooling = json.loads(config.read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    config.write_text(json.dumps(pooling))
    assert layout(copy)[0] == "cls"
    ours = SentenceModel(str(copy)).encode(TEXTS[:4])
    np.testing.assert_allclose(ours, _library(copy, TEXTS[:4]), atol=1e-6)
    # and it is not the mean: the test would pass whatever the pooling if it were
    assert np.abs(ours - SentenceModel(str(folder)).encode(TEXTS[:4])).max() > 0.01


def test_a_layout_with_other_steps_is_refused_not_encoded_differently(folder, tmp_path):
    copy = tmp_path / "dense-model"
    shutil.copytree(folder, copy)
    modules = json.loads((copy / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (copy / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(UnsupportedLayout, match="Dense"):
        SentenceModel(str(copy))


def test_a_plain_transformers_folder_is_mean_pooled(folder, tmp_path):
    copy = tmp_path / "plain-model"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("modules.json", "1_Pooling", "2_Normalize"))
    assert layout(copy)[0] == "mean"
    np.testing.assert_allclose(
        SentenceModel(str(copy)).encode(TEXTS[:3]), SentenceModel(str(folder)).encode(TEXTS[:3]), atol=1e-6
    )


def test_a_model_that_is_not_on_disk_fails_clearly_and_downloads_nothing(tmp_path, monkeypatch):
    from knowledge.embed import EmbeddingModelError, Encoder

    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    for name in ("BAAI/bge-small-zh-v1.5", str(tmp_path / "no-such-folder")):
        with pytest.raises(EmbeddingModelError, match="offline.*EMBEDDING_MODEL"):
            Encoder(name).encode(["园区在哪里"])
