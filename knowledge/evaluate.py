"""Score retrieval and abstention on a question set (tests/data/dev_set.yml).

For every answerable question the rank of the first passage that comes from
the expected document *and* contains one of the expected spans gives Hit@1,
Hit@3 and MRR. Every question also yields the confidence of the best passage;
sweeping the threshold over those gives abstention precision and recall and
picks the threshold kept in config.

Rows of the report:
- bm25, dense, hybrid-rrf: each retriever's own order (and RRF fusion of
  both), abstaining on the confidence of whatever it ranks first;
- bm25+rerank, dense+rerank, hybrid: the same candidates re-ranked by the
  coverage confidence; `hybrid` is what the bot runs;
- hybrid without the synonym table, the pinyin speller, the sentence
  window, or the curated FAQ, so the worth of each part is a number rather
  than a claim;
- chance: the expected Hit@k of a random order of the whole index, since
  with a small corpus even a random order finds something.
"""
from __future__ import annotations

import json
import math
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import yaml

from .base import KnowledgeBase
from .config import Settings
from .lexicon_data import EMPTY
from .text import normalize

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev_set.yml"
KINDS = ("answerable", "unknown", "out_of_scope")
DEPTH = 10  # ranks looked at for MRR


@dataclass
class Case:
    q: str
    kind: str
    style: str = "plain"
    doc: str = ""
    expect: list[str] = field(default_factory=list)

    @property
    def should_abstain(self) -> bool:
        return self.kind != "answerable"


def load_cases(path: Path = DEFAULT_SET) -> list[Case]:
    data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    cases = [Case(**{k: v for k, v in row.items()}) for row in data.get("questions", [])]
    for case in cases:
        if case.kind not in KINDS:
            raise ValueError(f"{case.q!r}: kind must be one of {', '.join(KINDS)}")
        if case.kind == "answerable" and not (case.doc and case.expect):
            raise ValueError(f"{case.q!r}: an answerable question needs doc and expect")
        case.expect = [str(e) for e in case.expect]
    return cases


def matches(case: Case, doc_id: str, text: str) -> bool:
    body = normalize(text)
    return doc_id == case.doc and any(normalize(e) in body for e in case.expect)


@dataclass
class CaseResult:
    q: str
    kind: str
    style: str
    rank: int  # 1-based rank of the first matching passage; 0 = not in the top DEPTH
    confidence: float  # of the best passage
    top: str  # chunk_id of the best passage
    answer_ok: bool | None = None  # the composed answer contains an expected span (hybrid only)


@dataclass
class Score:
    name: str
    answerable: int
    hit1: float
    hit3: float
    mrr: float
    threshold: float
    abstain_precision: float
    abstain_recall: float  # share of unknown + out-of-scope that abstain
    false_abstain: float  # share of answerable that abstain
    answer_accuracy: float | None = None  # answered and the answer holds an expected span
    by_style: dict = field(default_factory=dict)


def _abstention(results: list[CaseResult], threshold: float) -> tuple[float, float, float]:
    abstained = [r for r in results if r.confidence < threshold]
    should = [r for r in results if r.kind != "answerable"]
    answerable = [r for r in results if r.kind == "answerable"]
    right = sum(r.kind != "answerable" for r in abstained)
    precision = right / len(abstained) if abstained else 1.0
    recall = right / len(should) if should else 1.0
    false = sum(r.kind == "answerable" for r in abstained) / len(answerable) if answerable else 0.0
    return precision, recall, false


def score(name: str, results: list[CaseResult], threshold: float) -> Score:
    answerable = [r for r in results if r.kind == "answerable"]
    n = len(answerable) or 1
    precision, recall, false = _abstention(results, threshold)
    by_style: dict[str, dict] = {}
    for style in sorted({r.style for r in answerable}):
        rows = [r for r in answerable if r.style == style]
        by_style[style] = {"n": len(rows), "hit3": round(sum(0 < r.rank <= 3 for r in rows) / len(rows), 3)}
    answered = [r for r in answerable if r.answer_ok is not None]
    return Score(
        name=name,
        answerable=len(answerable),
        hit1=sum(r.rank == 1 for r in answerable) / n,
        hit3=sum(0 < r.rank <= 3 for r in answerable) / n,
        mrr=sum(1 / r.rank for r in answerable if r.rank) / n,
        threshold=threshold,
        abstain_precision=precision,
        abstain_recall=recall,
        false_abstain=false,
        answer_accuracy=(sum(bool(r.answer_ok) for r in answered) / len(answered)) if answered else None,
        by_style=by_style,
    )


def run_cases(kb, cases: list[Case], mode: str, answers: bool = False, rerank: bool = True) -> list[CaseResult]:
    """Search (and, with answers=True, ask) every question once."""
    results = []
    for case in cases:
        hits = kb.search(case.q, top_k=DEPTH, mode=mode, rerank=rerank)
        rank = next((i for i, h in enumerate(hits, 1) if case.kind == "answerable" and matches(case, h.doc_id, h.text)), 0)
        result = CaseResult(case.q, case.kind, case.style, rank, hits[0].confidence if hits else 0.0,
                            hits[0].chunk_id if hits else "")
        if answers and case.kind == "answerable":
            answer = kb.ask(case.q, mode=mode)
            result.answer_ok = (not answer.abstained) and matches(case, answer.hits[0].doc_id, answer.text)
        results.append(result)
    return results


def calibrate(results: list[CaseResult], max_false_abstain: float = 0.05) -> float:
    """The threshold that abstains on the most unanswerable questions while
    abstaining on at most max_false_abstain of the answerable ones; among equals,
    the midpoint of the widest safe interval, so it does not sit on a data point."""
    candidates = sorted({round(r.confidence, 4) for r in results} | {0.0, 1.0001})
    best: tuple[float, float, float] | None = None  # (recall, -false, threshold)
    grid = [round(i / 200, 3) for i in range(0, 201)]
    scored = []
    for t in grid:
        _, recall, false = _abstention(results, t)
        if false <= max_false_abstain:
            scored.append((recall, -false, t))
    if not scored:
        return min(candidates)
    best_recall, best_false = max(scored)[:2]
    ties = [t for recall, false, t in scored if (recall, false) == (best_recall, best_false)]
    best = (ties[0] + ties[-1]) / 2
    return round(best, 3)


def _build_variant(settings: Settings, root: Path, name: str, **overrides):
    variant = replace(settings, index_dir=root / name, **overrides)
    return KnowledgeBase.build(variant, force=True, progress=False)


def evaluate(settings: Settings | None = None, set_path: Path = DEFAULT_SET, threshold: float | None = None,
             ablation: bool = True, recalibrate: bool = False) -> dict:
    """Build throw-away indexes of the current docs, FAQ and lexicon and score every variant."""
    settings = settings or Settings.from_env()
    cases = load_cases(set_path)
    out: dict = {"set": str(set_path), "questions": len(cases),
                 "counts": {k: sum(c.kind == k for c in cases) for k in KINDS}, "scores": [], "cases": {}}
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        root = Path(tmp)
        kb = _build_variant(settings, root, "full")
        hybrid = run_cases(kb, cases, "hybrid", answers=True)
        chosen = calibrate(hybrid) if recalibrate else (threshold if threshold is not None else settings.min_confidence)
        out["threshold"] = chosen
        out["calibrated"] = calibrate(hybrid)
        kb.settings = replace(kb.settings, min_confidence=chosen)
        runs = {}
        for mode in ("bm25", "dense"):
            runs[mode] = run_cases(kb, cases, mode, rerank=False)
        runs["hybrid-rrf"] = run_cases(kb, cases, "hybrid", rerank=False)
        for mode in ("bm25", "dense"):
            runs[f"{mode}+rerank"] = run_cases(kb, cases, mode)
        runs["hybrid"] = run_cases(kb, cases, "hybrid", answers=True)
        if ablation:
            retriever = kb.retriever
            synonyms, retriever.synonyms = retriever.synonyms, EMPTY
            runs["hybrid-no-synonyms"] = run_cases(kb, cases, "hybrid")
            retriever.synonyms = synonyms
            speller, retriever.speller = retriever.speller, None
            runs["hybrid-no-speller"] = run_cases(kb, cases, "hybrid")
            retriever.speller = speller
            whole = KnowledgeBase(replace(kb.settings, window_sentences=0))
            runs["hybrid-no-window"] = run_cases(whole, cases, "hybrid")
            no_faq = _build_variant(settings, root, "nofaq", faq_dir=root / "no-faq-here")
            no_faq.settings = replace(no_faq.settings, min_confidence=chosen)
            runs["hybrid-no-faq"] = run_cases(no_faq, cases, "hybrid", answers=True)
        for name, results in runs.items():
            out["scores"].append(asdict(score(name, results, chosen)))
            out["cases"][name] = [asdict(r) for r in results]
        out["chance"] = chance(kb, cases)
        out["sweep"] = sweep(runs["hybrid"])
    return out


def chance(kb, cases: list[Case]) -> dict:
    """Hit@1 and Hit@3 of a uniformly random order of every passage in the index."""
    rows = kb.retriever.index.rows
    n = len(rows)
    hit1 = hit3 = 0.0
    answerable = [c for c in cases if c.kind == "answerable"]
    for case in answerable:
        m = sum(matches(case, r["doc_id"], r["text"]) or matches(case, r["doc_id"], r.get("text_en") or "")
                for r in rows)
        hit1 += m / n
        hit3 += 1 - math.comb(n - m, 3) / math.comb(n, 3) if n >= 3 else float(m > 0)
    k = len(answerable) or 1
    return {"passages": n, "hit1": round(hit1 / k, 3), "hit3": round(hit3 / k, 3)}


def sweep(results: list[CaseResult]) -> list[dict]:
    """Abstention at a range of thresholds, to show what the chosen one trades."""
    rows = []
    for t in [round(0.3 + 0.05 * i, 2) for i in range(13)]:
        precision, recall, false = _abstention(results, t)
        rows.append({"threshold": t, "abstain_precision": round(precision, 3), "abstain_recall": round(recall, 3),
                     "false_abstain": round(false, 3)})
    return rows


def table(report: dict) -> str:
    counts = report["counts"]
    lines = [
        f"{report['set']}: {report['questions']} questions ({counts['answerable']} answerable, "
        f"{counts['unknown']} unknown in domain, {counts['out_of_scope']} out of scope); "
        f"threshold {report['threshold']} (calibrated on this set: {report['calibrated']})",
        "",
        f"{'mode':20} {'Hit@1':>6} {'Hit@3':>6} {'MRR':>6} {'abst.P':>7} {'abst.R':>7} {'false-abst':>10} {'answer':>7}",
    ]
    for s in report["scores"]:
        acc = f"{s['answer_accuracy']:.3f}" if s["answer_accuracy"] is not None else "-"
        lines.append(f"{s['name']:20} {s['hit1']:6.3f} {s['hit3']:6.3f} {s['mrr']:6.3f} "
                     f"{s['abstain_precision']:7.3f} {s['abstain_recall']:7.3f} {s['false_abstain']:10.3f} {acc:>7}")
    ch = report.get("chance")
    if ch:
        lines.append(f"{'chance':20} {ch['hit1']:6.3f} {ch['hit3']:6.3f} {'':>6}   (random order of all "
                     f"{ch['passages']} passages)")
    if report.get("sweep"):
        lines += ["", "hybrid abstention by threshold:",
                  "  ".join(f"{r['threshold']:.2f}: R {r['abstain_recall']:.2f} / false {r['false_abstain']:.2f}"
                            for r in report["sweep"][::2])]
    styles = sorted({st for s in report["scores"] for st in s["by_style"]})
    lines += ["", "Hit@3 by question style:", f"{'mode':20} " + " ".join(f"{st:>11}" for st in styles)]
    for s in report["scores"]:
        lines.append(f"{s['name']:20} " + " ".join(
            f"{s['by_style'][st]['hit3']:>6.2f} ({s['by_style'][st]['n']:>2})" if st in s["by_style"] else f"{'-':>11}"
            for st in styles))
    return "\n".join(lines)


def failures(report: dict, mode: str = "hybrid") -> list[str]:
    """Human-readable list of what went wrong for one mode, for tuning the lexicon."""
    t = report["threshold"]
    rows = []
    for r in report["cases"][mode]:
        if r["kind"] == "answerable" and (r["rank"] != 1 or r["confidence"] < t or r["answer_ok"] is False):
            rows.append(f"  miss  rank={r['rank']} conf={r['confidence']:.2f} answer_ok={r['answer_ok']} {r['q']}  (top {r['top']})")
        elif r["kind"] != "answerable" and r["confidence"] >= t:
            rows.append(f"  said  conf={r['confidence']:.2f} {r['kind']} {r['q']}  (top {r['top']})")
    return rows


def write_json(report: dict, path: Path) -> None:
    Path(path).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
