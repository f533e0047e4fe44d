"""Build, save and load the retrieval index as one directory of named files.

Layout of a built index (loaded without pickle):
    manifest.json   model, dimension, corpus hash, counts, build time
    corpus.jsonl    one passage per line, with its document's citation fields:
                    document chunks, and curated FAQ entries (category faq)
    vectors.faiss   the dense index (inner product over normalised vectors)
    bm25/           bm25s matrices and vocabulary

The live index is a symlink to a versioned directory. A rebuild writes a new
directory and swaps the link with one atomic rename, so a server that is
answering never sees a half-written index. The version before stays on disk
until the next swap, so a process that resolved the link a moment before the
swap can still finish loading it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import bm25s
import faiss
import numpy as np

from . import faq
from .chunking import chunk_document
from .config import Settings
from .documents import Document
from .library import load_all
from .embed import encoder_for
from .units import match_text
from .scope import Places, places_for
from .text import tokenizer_for

log = logging.getLogger(__name__)
_VERSION = re.compile(r"[0-9a-f]{12}-\d+|legacy-\d+")

INDEX_FORMAT = 5  # 2: FAQ rows, closing quotes kept with their sentence; 3: scope on every row; 4: heading paths, table rows, document cards; 5: "label: value" lines are fields, not headings, and a heading starts its own line in a passage
# Exact search is fast enough and simplest up to here (about 6 ms a query at
# 50k on one core); beyond it, an inverted file (IVF-Flat) of about sqrt(n)
# lists, probing 1/32 of them. `python -m knowledge bench` measured HNSW too
# (M=32, efConstruction=80): at 1M it took 9 minutes to build on two cores and
# reached recall@10 0.948 at efSearch=64; IVF builds in well under a minute.
FLAT_LIMIT = 50_000
IVF_MIN_PROBES = 16


def ivf_shape(n: int) -> tuple[int, int]:
    """(lists, probes) for n vectors: lists a power of two near sqrt(n)."""
    lists = 2 ** max(6, round(math.log2(math.sqrt(n))))
    return lists, max(IVF_MIN_PROBES, lists // 32)


class IndexUnusable(RuntimeError):
    """The index is missing or was built differently; the message says how to fix it."""


@dataclass
class Manifest:
    format: int
    model: str
    dimension: int
    corpus_hash: str
    documents: int
    chunks: int
    built_at: str
    faiss_index: str
    faq_entries: int = 0

    @classmethod
    def read(cls, index_dir: Path) -> "Manifest":
        path = index_dir / "manifest.json"
        if not path.exists():
            raise IndexUnusable(f"no index at {index_dir}: run `python -m knowledge build`")
        return cls(**json.loads(path.read_text("utf-8")))


def corpus_hash(docs: list[Document], settings: Settings, entries: list[faq.FaqEntry] | None = None) -> str:
    """Changes whenever a rebuild would give a different index."""
    digest = hashlib.sha256(f"format={INDEX_FORMAT}".encode())
    for doc in sorted(docs, key=lambda d: d.doc_id):
        digest.update(json.dumps(doc.meta(), sort_keys=True, ensure_ascii=False).encode())
        digest.update(doc.content_hash.encode())
    digest.update(faq.faq_hash(entries or []).encode())
    lexicon = settings.lexicon_dir
    for path in sorted((lexicon / "jieba").glob("*.txt")) + [lexicon / "stopwords.txt", lexicon / "places.yml"]:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def faiss_index(vectors: np.ndarray) -> faiss.Index:
    n, dim = vectors.shape
    if n <= FLAT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        lists, probes = ivf_shape(n)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(n, size=min(n, 64 * lists), replace=False)
        index.train(vectors[np.sort(sample)])
        index.nprobe = probes  # saved with the index
    index.add(vectors)
    return index


def _chinese_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def document_card(doc: Document) -> str:
    """The document's own record as one sentence: title, issuer, 文号, dates. It answers
    "哪个单位印发的 / 文号是多少 / 什么时候施行" and nothing else (see answer_types.about_document)."""
    parts = [f"《{doc.title}》"]
    if doc.issuer:
        parts.append(f"发文机关{doc.issuer}")
    if doc.doc_number:
        parts.append(f"文号{doc.doc_number}")
    if doc.published:
        parts.append(f"{doc.publisher}于{_chinese_date(doc.published)}发布")
    if doc.valid_from:
        parts.append(f"自{_chinese_date(doc.valid_from)}起施行")
    if doc.valid_until:
        parts.append(f"有效期至{_chinese_date(doc.valid_until)}")
    return "，".join(parts) + "。" if len(parts) > 1 else ""


def corpus_rows(docs: list[Document], entries: list[faq.FaqEntry], places: Places | None = None) -> list[dict]:
    """Every passage to index: document chunks, staff FAQ documents, curated FAQ entries.

    Every row carries its document's scope; a document that states none gets
    the one proposed from its issuer, title and text.
    """
    places = places or Places([])
    scopes = {d.doc_id: d.scope or places.propose(d.title, d.issuer, d.text) for d in docs}
    rows = []
    for doc in docs:
        if doc.category == "faq":
            rows.extend(faq.document_rows(doc))
            continue
        meta = {k: v for k, v in doc.meta().items() if k not in ("doc_id", "questions")}
        rows.extend({**asdict(chunk), **meta} for chunk in chunk_document(doc))
        card = document_card(doc)
        if card:
            rows.append(
                {
                    **meta,
                    "chunk_id": f"{doc.doc_id}#card",
                    "doc_id": doc.doc_id,
                    "title": doc.title,
                    "text": card,
                    "heading": "",
                    "card": True,
                }
            )
    rows.extend(faq.rows(entries, docs))
    for row in rows:
        row["scope"] = scopes.get(row["doc_id"], "") or places.park
    return rows


def _quiet(stage: str, fraction: float) -> None:
    pass


ENCODE_SLICE = 256  # passages encoded between two progress reports


def _write(
    target: Path,
    docs: list[Document],
    entries: list[faq.FaqEntry],
    settings: Settings,
    digest: str,
    progress: bool,
    report=_quiet,
) -> Manifest:
    report("passages", 0.05)
    rows = corpus_rows(docs, entries, places_for(settings.lexicon_dir))
    if not rows:
        raise IndexUnusable("no documents to index: add Markdown files to the docs directory")

    tokenizer = tokenizer_for(settings.lexicon_dir)
    # The title goes into both views of a chunk: a question that names the
    # article's subject should find every passage of it. An FAQ entry is seen
    # with its question variants.
    texts = [match_text(row) for row in rows]
    corpus_tokens = [tokenizer.tokens(t) or [""] for t in texts]
    report("bm25", 0.15)
    bm25 = bm25s.BM25()
    bm25.index(corpus_tokens, show_progress=progress)
    bm25.save(str(target / "bm25"), show_progress=False)

    report("model", 0.2)
    encoder = encoder_for(settings.embedding_model)
    if report is _quiet:
        vectors = encoder.encode(texts, progress=progress)
    else:  # in slices, so a worker can say how far it is (progress bars are for terminals)
        parts = []
        for start in range(0, len(texts), ENCODE_SLICE):
            report("vectors", 0.25 + 0.65 * start / len(texts))
            parts.append(encoder.encode(texts[start : start + ENCODE_SLICE], progress=False))
        vectors = np.concatenate(parts).reshape(len(texts), encoder.dimension)
    report("writing", 0.92)
    index = faiss_index(vectors)
    faiss.write_index(index, str(target / "vectors.faiss"))

    with (target / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    manifest = Manifest(
        format=INDEX_FORMAT,
        model=settings.embedding_model,
        dimension=encoder.dimension,
        corpus_hash=digest,
        documents=len(docs),
        chunks=len(rows),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        faiss_index=type(index).__name__,
        faq_entries=sum(row["category"] == "faq" for row in rows),
    )
    (target / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False), "utf-8")
    return manifest


def _swap_link(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically, then drop the versions before the one it left.

    The version just replaced is kept: another process may have resolved the
    link a moment ago and still be reading it.
    """
    previous = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        # An index from before versioned directories: move it aside once.
        legacy = link.with_name(f"{link.name}-legacy-{int(time.time())}")
        link.rename(legacy)
        previous = legacy
    tmp_link = link.with_name(f".{link.name}.link-{os.getpid()}-{threading.get_ident()}")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.name)
    os.replace(tmp_link, link)
    keep = {target.resolve(), previous}
    for old in link.parent.glob(f"{link.name}-*"):
        if (
            old.is_dir()
            and not old.is_symlink()
            and old.resolve() not in keep
            and _VERSION.fullmatch(old.name[len(link.name) + 1 :])
        ):
            shutil.rmtree(old, ignore_errors=True)


def build(
    settings: Settings | None = None,
    docs: list[Document] | None = None,
    force: bool = False,
    progress: bool = True,
    report=None,
) -> tuple[Manifest, bool]:
    """Build the index unless the live one already matches; returns (manifest, rebuilt).

    report(stage, fraction), if given, is told how far the build is: stages
    passages, bm25, model, vectors, writing (the re-index worker shows them).
    """
    settings = settings or Settings.from_env()
    docs = load_all(settings) if docs is None else docs
    entries = faq.load_faq(settings.faq_dir)
    digest = corpus_hash(docs, settings, entries)
    link = settings.index_dir
    if not force and (link / "manifest.json").exists():
        current = Manifest.read(link)
        if current.corpus_hash == digest and current.model == settings.embedding_model:
            log.info("index up to date", extra={"chunks": current.chunks})
            return current, False

    link.parent.mkdir(parents=True, exist_ok=True)
    target = link.with_name(f"{link.name}-{digest[:12]}-{int(time.time() * 1000)}")
    while target.exists() or target.with_name(f".{target.name}.partial").exists():  # same millisecond
        target = target.with_name(f"{target.name}1")
    staging = target.with_name(f".{target.name}.partial")
    staging.mkdir()
    try:
        manifest = _write(staging, docs, entries, settings, digest, progress, report or _quiet)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_link(link, target)
    log.info("index built", extra={"chunks": manifest.chunks, "documents": manifest.documents})
    return manifest, True


@dataclass
class LoadedIndex:
    path: Path  # the versioned directory actually loaded
    manifest: Manifest
    rows: list[dict]
    bm25: bm25s.BM25
    df: np.ndarray  # documents per token id, for IDF weights
    vectors: faiss.Index


def load(index_dir: Path, embedding_model: str) -> LoadedIndex:
    path = index_dir.resolve()
    manifest = Manifest.read(path)
    if manifest.model != embedding_model:
        raise IndexUnusable(
            f"the index at {index_dir} was built with embedding model {manifest.model!r}, but "
            f"EMBEDDING_MODEL is {embedding_model!r}. Rebuild it: python -m knowledge build --force"
        )
    with (path / "corpus.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    bm25 = bm25s.BM25.load(str(path / "bm25"), allow_pickle=False, show_progress=False)
    df = np.diff(np.asarray(bm25.scores["indptr"]))
    vectors = faiss.read_index(str(path / "vectors.faiss"))
    return LoadedIndex(path=path, manifest=manifest, rows=rows, bm25=bm25, df=df, vectors=vectors)
