"""Evaluation results for people: rich tables of metrics, per-kind rows, the worst misses, hit@k plots."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from qabot.evaluation import QuestionOutcome
from qabot.render import safe_source_name, shorten

HEADLINE = ["hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "answered", "abstain_accuracy", "useful@5", "median_excerpt_chars"]


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(results: dict[str, dict], depth: int) -> Table:
    columns = HEADLINE[:6] + [f"recall@{depth}"] + HEADLINE[6:]
    table = Table(title="Retrieval on the question set", show_lines=False)
    table.add_column("configuration", style="bold")
    for column in columns:
        table.add_column(column, justify="right")
    for name, metrics in results.items():
        table.add_row(name, *(_cell(metrics.get(c)) for c in columns))
    return table


def kinds_table(name: str, metrics: dict) -> Table:
    table = Table(title=f"By kind of question ({name})")
    for column in ("kind", "questions", "hit@1", "hit@5", "mrr@10"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, row in metrics["by_kind"].items():
        table.add_row(kind, *(_cell(row[c]) for c in ("questions", "hit@1", "hit@5", "mrr@10")))
    return table


def misses_table(outcomes: list[QuestionOutcome], limit: int = 5) -> Table:
    """Answerable questions with no relevant excerpt in the top 5: gold span beside what came back."""
    table = Table(title=f"Worst misses (up to {limit})", show_lines=True)
    table.add_column("id")
    table.add_column("question")
    table.add_column("gold")
    table.add_column("returned first")
    misses = [o for o in outcomes if o.question.answerable and (o.first_relevant_rank or 99) > 5]
    misses.sort(key=lambda o: o.first_relevant_rank or 99, reverse=True)
    for outcome in misses[:limit]:
        top = outcome.answer.excerpts[0] if outcome.answer.excerpts else None
        returned = f"{safe_source_name(top.source)} [{top.start}:{top.end}]\n{shorten(top.text, 160)}" if top else "(nothing)"
        rank = outcome.first_relevant_rank
        table.add_row(
            outcome.question.id + (f"\n(rank {rank})" if rank else "\n(not in top 10)"),
            shorten(outcome.question.question, 120),
            f"{safe_source_name(outcome.question.source or '')}\n{shorten(outcome.question.answer or '', 160)}",
            returned,
        )
    return table


def print_report(results: dict[str, dict], outcomes: dict[str, list[QuestionOutcome]], depth: int, seconds: float, console: Console | None = None) -> None:
    console = console or Console()
    console.print(metrics_table(results, depth))
    for name, metrics in results.items():
        if metrics.get("by_kind"):
            console.print(kinds_table(name, metrics))
    first = next(iter(outcomes))
    console.print(misses_table(outcomes[first]))
    for name, metrics in results.items():
        if metrics.get("wrongly_answered_off_topic"):
            ids = ", ".join(metrics["wrongly_answered_off_topic"])
            console.print(f"{name}: off-topic questions answered instead of abstaining: {ids}", markup=False)
    console.print(f"{sum(len(o) for o in outcomes.values())} question runs in {seconds:.1f} s")


def hit_curve(outcomes: list[QuestionOutcome], depth: int = 10) -> list[float]:
    """hit@k for k = 1..depth over the answerable questions."""
    ranks = [o.first_relevant_rank for o in outcomes if o.question.answerable]
    if not ranks:
        return [0.0] * depth
    return [sum(1 for r in ranks if r is not None and r <= k) / len(ranks) for k in range(1, depth + 1)]


def plot_hit_curves(curves: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        axes.plot(range(1, len(values) + 1), values, marker="o", label=name)
    axes.set_xlabel("k")
    axes.set_ylabel("hit@k")
    axes.set_ylim(0, 1)
    axes.set_xticks(range(1, 11))
    axes.grid(alpha=0.3)
    axes.legend()
    axes.set_title("Relevant excerpt in the top k")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
