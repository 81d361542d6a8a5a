"""`kb eval` and `kb bench`: retrieval quality on judged questions, and speed figures."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import click

from .common import Progress, fail, settings_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@click.command(name="eval")
@click.option("--beir", "beir_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv). Default: corpus/ questions.")
@click.option("--split", default=None,
              help="BEIR: which qrels file (default test). Corpus: all (default), dev or held-back.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--fusion", type=click.Choice(["convex-prf", "convex", "rrf"]), default="convex-prf", show_default=True,
              help="How hybrid mode fuses the legs (the product uses convex-prf; others for comparison).")
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("corpus"), show_default=True, help="The corpus whose eval/ question set is scored.")
@click.option("--answers", is_flag=True, help="Score the Answer box (answer@1, answer@3, abstention) on the corpus "
              "answer sets (corpus/eval/answers.jsonl, out_of_scope.jsonl) instead of retrieval.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def eval_(ctx, beir_dir, split, mode, fusion, corpus_dir, answers, as_json):
    """nDCG@10, recall and MRR of retrieval on a judged question set (builds or reuses its own KB)."""
    from index.evaluate import cache_home, corpus_set
    from index.kb import KnowledgeBase

    settings = settings_of(ctx)
    if answers:
        _answers(settings, beir_dir, split, corpus_dir, as_json)
        return
    from index.evaluate import beir_set, run

    try:
        es = (beir_set(beir_dir, split or "test", workdir=settings.eval_cache) if beir_dir
              else corpus_set(corpus_dir, split or "all"))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc), 2)
    home = cache_home(settings.eval_cache, es)
    progress = Progress(not as_json)
    result = run(KnowledgeBase(replace(settings, home=home)), es, mode, progress=progress, fusion=fusion)
    progress.close()
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"{result['set']} ({mode}, {result['queries']} queries, KB in {home})")
    for key in ("ndcg@10", "recall@5", "recall@10", "recall@100", "mrr@10", "mean_latency_ms"):
        click.echo(f"  {key:16} {result[key]}")


def _answers(settings, beir_dir, split, corpus_dir: Path, as_json: bool) -> None:
    """`kb eval --answers`: the Answer box scored on the corpus answer sets."""
    from index import answer_eval
    from index.evaluate import cache_home, corpus_set
    from index.kb import KnowledgeBase

    if beir_dir:
        fail("--answers scores the corpus answer sets; it does not take --beir", 2)
    if (split or "dev") not in answer_eval.SPLITS:
        fail(f"the answer sets have splits {', '.join(answer_eval.SPLITS)}, not {split!r}", 2)
    home = cache_home(settings.eval_cache, corpus_set(corpus_dir, "all"))
    progress = Progress(sys.stderr.isatty())
    result = answer_eval.run(KnowledgeBase(replace(settings, home=home)), corpus_dir, split or "dev",
                             progress=progress)
    progress.close()
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"answer sets, split {result['split']} ({result['answerable']} answerable, "
               f"{result['out_of_scope']} out of scope, {result['no_direct_answer']} unanswered in scope)")
    for key in ("answer@1", "answer@3", "empty_answers", "wrongly_abstained", "out_of_scope_recall",
                "no_direct_answer_precision", "no_direct_answer_abstained"):
        click.echo(f"  {key:28} {result[key]}")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(ctx):
    """Speed figures: latency vs. floor at several sizes, ingest throughput, memory, index size (see BENCHMARKS.md).

    Options are those of benchmarks/bench.py: --sizes 1000,10000,100000 --queries N --json --skip-http ...
    """
    import importlib.util

    path = PROJECT_ROOT / "benchmarks" / "bench.py"
    if not path.exists():
        fail("benchmarks/bench.py is missing: run `kb bench` from a source checkout")
    spec = importlib.util.spec_from_file_location("kb_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.exit(module.main(ctx.args))


COMMANDS = (eval_, bench)
