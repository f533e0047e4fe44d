"""A sentence-embedding model in sentence-transformers' layout, run with transformers alone.

Why not the sentence-transformers library: it imports much that a question's vector does not need
(its trainers, scikit-learn), and it wraps each call in more steps. With the knowledge base loaded
and one Chinese and one English question asked, the process held 760 MiB with the library and 709
MiB with this (2026-12-01), and the action server's share of the stack is what keeps it under 2 GiB.
What the models used here need of it is three steps: the transformer, pooling (the mean of the
tokens, or the [CLS] token) and normalisation. The vectors are the library's (tests/test_sentence_model.py
compares them), so an index built with either is read by the other.

The layout is read from the model folder: `modules.json` names the steps, `1_Pooling/config.json`
the pooling and `sentence_bert_config.json` the length limit and lower-casing. A folder without
`modules.json` is a plain transformers model, pooled by the mean as the library does. A layout
with other steps (a dense projection, another pooling) is refused with a clear error rather than
encoded differently from how it was trained. Vectors are always normalised, as the library's
`normalize_embeddings` makes them: the index compares them by inner product.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

_POOLING = "sentence_transformers.models.Pooling"
_STEPS = {"sentence_transformers.models.Transformer", _POOLING, "sentence_transformers.models.Normalize"}
_POOLINGS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}


class UnsupportedLayout(ValueError):
    """The model folder asks for a step this reader does not run."""


def local_folder(name: str) -> Path:
    """The model's folder: a path as given, or a hub name's snapshot in the local cache (never a download)."""
    if Path(name).is_dir():
        return Path(name)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(name, local_files_only=True))


def _json(path: Path) -> dict:
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def layout(folder: Path) -> tuple[str, dict]:
    """(pooling, sentence_bert_config) as the folder's sentence-transformers files say."""
    pooling = "mean"
    for module in _json(folder / "modules.json") or []:
        step = module.get("type", "?")
        if step not in _STEPS:
            raise UnsupportedLayout(f"{folder}: step {step} is not run here (only transformer, pooling, normalize)")
        if step == _POOLING:
            config = _json(folder / module.get("path", "") / "config.json")
            chosen = [mode for key, mode in _POOLINGS.items() if config.get(key)]
            others = [k for k, v in config.items() if k.startswith("pooling_mode") and v and k not in _POOLINGS]
            if len(chosen) != 1 or others:
                raise UnsupportedLayout(f"{folder}: pooling {config} is not run here (one of mean, cls)")
            pooling = chosen[0]
    return pooling, _json(folder / "sentence_bert_config.json")


class SentenceModel:
    """encode(texts) -> unit float32 vectors, as SentenceTransformer(folder).encode(texts,
    normalize_embeddings=True) gives them."""

    def __init__(self, name: str):
        from transformers import AutoModel, AutoTokenizer

        folder = local_folder(name)
        self.pooling, config = layout(folder)
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder)).eval()
        # the configured length, else the tokenizer's; never past the model's positions
        limit = int(config.get("max_seq_length") or self.tokenizer.model_max_length)
        self.max_length = min(limit, getattr(self.model.config, "max_position_embeddings", None) or limit)
        self.lower = bool(config.get("do_lower_case"))
        self.dimension = int(self.model.config.hidden_size)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Vectors in the order given; batches of like length, as the library makes them, so a long passage
        does not pad a batch of short ones."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="encoding", unit="batch")
        with torch.inference_mode():
            for start in starts:
                chosen = order[start : start + batch_size]
                batch = [texts[i].lower() if self.lower else texts[i] for i in chosen]
                inputs = self.tokenizer(
                    batch, padding=True, truncation="longest_first", max_length=self.max_length, return_tensors="pt"
                )
                tokens = self.model(**inputs).last_hidden_state
                if self.pooling == "cls":
                    vectors = tokens[:, 0]
                else:
                    mask = inputs["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                    vectors = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
                out[chosen] = vectors.float().numpy()
        return out
