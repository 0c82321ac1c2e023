"""``horogen score``: the evaluation metrics for any texts a user has.

The scorers (and torch, for the hub backends) are imported inside the command so that
``horogen --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from horogen.cli.app import app, console
from horogen.config import load_settings
from horogen.evaluate.settings import OFFLINE_BACKENDS

#: What each metric's value is, for the table.
MEANING = {
    "acceptability": "share of acceptable texts",
    "diversity": "1 - mean cosine similarity between different texts",
    "sentiment": "share of non-negative texts",
}


@app.command("score")
def score_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV with a 'text' column, JSON lines (.jsonl) with a 'text' field, or "
            "plain text with one text a line.",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object: acceptability, diversity, sentiment, n."
        ),
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Use the offline backends (orthography, char-tfidf, lexicon) whatever "
            "the settings say.",
        ),
    ] = False,
) -> None:
    """Score texts on acceptability, diversity and sentiment, with the backends the
    evaluate.scorers settings name (default: the RuCoLA, LaBSE and rubert-sentiment models).

    Example: horogen score texts.txt --offline --json
    """
    from horogen.evaluate import scorers
    from horogen.evaluate.texts import read_texts

    texts = read_texts(file)  # a bad file fails before any model loads
    settings = load_settings().evaluate.scorers
    if offline:
        settings = scorers.offline(settings)
    if any(getattr(settings, metric).backend != OFFLINE_BACKENDS[metric] for metric in MEANING):
        from horogen.cli.train import quiet_libraries

        quiet_libraries()
    result = scorers.score_texts(texts, scorers.build_scorers(settings))
    if as_json:
        typer.echo(json.dumps(result.summary.model_dump()))
        return
    table = Table("metric", "value", "backend", "what it is")
    summary = result.summary.model_dump()
    for metric, meaning in MEANING.items():
        value = summary[metric]
        shown = "n/a (one text)" if value is None else f"{value:.3f}"
        table.add_row(metric, shown, result.backends[metric], meaning)
    console.print(table)
    console.print(f"{result.summary.n} texts from {file}")
