"""``horogen generate`` and ``horogen models``: texts from a version, and the versions.

mlflow, torch and the backends are imported inside the commands so that ``horogen --help``
stays fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import textwrap
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from horogen.cli.app import DateOption, LakeOption, app, console, deployment_from
from horogen.cli.logs import quiet_model_libraries
from horogen.model.prompts import parse_category
from horogen.model.settings import Backend
from horogen.schema import Category
from horogen.signs import Sign, lookup_sign

if TYPE_CHECKING:
    from horogen.deployment import Deployment
    from horogen.model.generate import GeneratedText, HoroscopeGenerator
    from horogen.model.registry import VersionInfo
    from horogen.model.strategy import Strategy
    from horogen.verdicts import ReaderVerdict

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="champion, challenger, a version number, models:/NAME/VERSION, "
        "models:/NAME@ALIAS or a model directory (default: the champion, else the newest).",
        show_default=False,
    ),
]


@app.command("generate")
def generate_command(
    signs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Signs, as slugs or Russian names (default: all twelve).", show_default=False
        ),
    ] = None,
    model: ModelOption = None,
    category: Annotated[
        str, typer.Option("--category", help="general, love, business, …")
    ] = "general",
    all_categories: Annotated[
        bool,
        typer.Option(
            "--all-categories",
            help="Every category of the day (general, love, …, mobile) for each sign: with "
            "no signs given, the 96 texts of the day.",
        ),
    ] = False,
    date: DateOption = None,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Texts per sign.")] = 1,
    best_of: Annotated[
        int | None,
        typer.Option(
            "--best-of",
            min=1,
            help="As serving chooses: K candidates per text (more, up to serve.best_of_cap, "
            "while none passes serve.checks), the best printed. JSON lines add `failed`.",
            show_default=False,
        ),
    ] = None,
    top_p: Annotated[float | None, typer.Option("--top-p", min=0.0, max=1.0)] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", min=0.0, help="0: greedy.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Base seed (default: generation.seed).")
    ] = None,
    backend: Annotated[
        Backend | None, typer.Option("--backend", help="Default: generation.backend.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", min=1, help="1: one text at a time.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per text.")] = False,
    lake: LakeOption = None,
) -> None:
    """Generate horoscopes with a registered version (or a model directory).

    The same command prints the same texts: every text is seeded from --seed, its sign,
    category, date and sample. The strategy is the one evaluation chose for the version,
    else generation.strategy; --top-p and --temperature override it.

    Example: horogen generate leo Дева --category love --samples 2 --backend transformers

    Example: horogen generate --all-categories --json > today.jsonl

    Example: horogen generate --all-categories --best-of 4 --json   # what serving serves
    """
    from horogen.model.generate import HoroscopeGenerator, requests_for

    quiet_model_libraries()
    chosen = _signs(signs)
    if all_categories and category != "general":
        raise typer.BadParameter("give --category or --all-categories, not both")
    if best_of is not None and samples > 1:
        raise typer.BadParameter("give --samples or --best-of, not both")
    try:
        wanted = list(Category) if all_categories else [parse_category(category)]
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--category") from None
    overrides = {"backend": backend, "batch_size": batch_size}
    deployment = deployment_from(lake, generation={k: v for k, v in overrides.items() if v})
    settings = deployment.settings
    resolved = deployment.models.resolve(model)
    strategy = resolved.strategy(settings.generation.strategy).with_overrides(
        top_p=top_p, temperature=temperature
    )
    generator = HoroscopeGenerator.load(resolved, settings.generation)
    day = date.date() if date else dt.date.today()
    base_seed = settings.generation.seed if seed is None else seed
    failed: dict[tuple[Sign, Category], list[str]] = {}
    if best_of is None:
        requests = requests_for(chosen, wanted, day, samples)
        texts = generator.generate(requests, strategy, seed=base_seed)
    else:
        texts, failed = _best_of(
            deployment, generator, strategy, base_seed, best_of, chosen, wanted, day
        )
    if as_json:
        for text in texts:
            record = _record(text)
            if best_of is not None:
                record["failed"] = failed[text.sign, text.category]
            typer.echo(json.dumps(record, ensure_ascii=False))
        return
    console.print(
        f"[dim]{resolved.label} · {generator.backend.name} · top_p {strategy.top_p:g} · "
        f"temperature {strategy.temperature:g}[/dim]",
        highlight=False,
    )
    for text in texts:
        sample = f" · {text.sample + 1}/{samples}" if samples > 1 else ""
        console.print(
            f"\n[bold]{text.sign.emoji} {text.sign.ru}[/bold] · {text.category.value} · "
            f"{text.date}{sample}",
            highlight=False,
        )
        console.print(textwrap.fill(text.text, width=min(console.width, 100)), highlight=False)


def _signs(given: list[str] | None) -> list[Sign]:
    if not given:
        return list(Sign)
    try:
        return [lookup_sign(name) for name in given]
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="SIGNS") from None


def _best_of(
    deployment: Deployment,
    generator: HoroscopeGenerator,
    strategy: Strategy,
    seed: int,
    k: int,
    signs: list[Sign],
    categories: list[Category],
    day: dt.date,
) -> tuple[list[GeneratedText], dict[tuple[Sign, Category], list[str]]]:
    """The text serving would choose for each sign and category (best of ``k``, judged as
    serving judges: all twelve signs drawn as one group, since scores that read the set
    depend on it), sign by sign, and the checks each failed (empty: it passed them)."""
    from horogen.model.generate import GeneratedText
    from horogen.serve.judge import BestOf
    from horogen.serve.swap import ServingModel

    model = ServingModel(generator.model, generator, strategy, seed)
    chooser = BestOf(deployment.judge, k, max(k, deployment.settings.serve.best_of_cap))
    chosen = {}
    for category in categories:
        choice = chooser.choose(functools.partial(model.draw, day, category), list(Sign))
        chosen |= {(c.sign, category): c for c in choice.candidates if c.chosen}
    texts = [
        GeneratedText(
            sign=sign, category=category, date=day, sample=chosen[sign, category].sample,
            text=chosen[sign, category].text, version=model.version, model=model.label,
            backend=generator.backend.name, seed=seed, strategy=strategy,
        )
        for sign in signs
        for category in categories
    ]  # fmt: skip
    return texts, {key: candidate.failed for key, candidate in chosen.items()}


def _record(text: GeneratedText) -> dict:
    """The JSON line of a text."""
    return text.model_dump(
        mode="json",
        include={
            "sign",
            "category",
            "date",
            "sample",
            "text",
            "version",
            "backend",
            "seed",
            "strategy",
        },
    )


@app.command("models")
def models_command(
    lake: LakeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the registered versions: aliases, creation date, data window, validation loss,
    readers' verdicts (--json: everything, with tags, metrics and models:/ URIs).

    Example: horogen models --json
    """
    from horogen.verdicts import verdicts_per_version

    quiet_model_libraries()
    deployment = deployment_from(lake)
    store = deployment.models
    target = store.tracking()
    versions = store.registry.versions()
    verdicts = verdicts_per_version(deployment.verdicts, store.name)
    if as_json:
        payload = {
            "tracking_uri": target.uri,
            "registered_model": store.name,
            "versions": [
                version.model_dump(mode="json")
                | {"readers": _verdict_json(verdicts.get(version.version))}
                for version in versions
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console.print(f"{store.name} at {target.uri}", soft_wrap=True, highlight=False)
    if not versions:
        console.print(f"no versions of {store.name!r} yet: run `horogen train`")
        return
    console.print(versions_table(versions, verdicts))


def versions_table(
    versions: list[VersionInfo], verdicts: dict[int, ReaderVerdict] | None = None
) -> Table:
    """The versions in at most 80 columns; ``--json`` has the rest. ``readers``: the share
    of readers' verdicts that liked the version's texts, and how many distinct readers."""
    verdicts = verdicts or {}
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("version", justify="right")
    table.add_column("aliases", max_width=12, overflow="ellipsis")
    table.add_column("created", no_wrap=True)
    table.add_column("data window", max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column("eval loss", justify="right")
    table.add_column("readers", justify="right", max_width=11, no_wrap=True)
    for version in versions:
        loss = version.metrics.get("best_eval_loss")
        table.add_row(
            str(version.version),
            ", ".join(version.aliases),
            f"{version.created_at:%Y-%m-%d}",
            short_window(version.tags.get("data_window", "")),
            "" if loss is None else f"{loss:.3f}",
            _verdict_cell(verdicts.get(version.version)),
        )
    return table


def short_window(window: str) -> str:
    """``2026-10-31..11-29`` for ``2026-10-31..2026-11-29`` (the year once when both ends
    share it), ``25-12-20..26-01-18`` across a new year: at most 18 characters."""
    match = _WINDOW.fullmatch(window)
    if not match:
        return window
    if match["y1"] == match["y2"]:
        return f"{match['y1']}-{match['d1']}..{match['d2']}"
    return f"{match['y1'][2:]}-{match['d1']}..{match['y2'][2:]}-{match['d2']}"


_WINDOW = re.compile(r"(?P<y1>\d{4})-(?P<d1>\d\d-\d\d)\.\.(?P<y2>\d{4})-(?P<d2>\d\d-\d\d)")


def _verdict_cell(verdict: ReaderVerdict | None) -> str:
    if verdict is None or not verdict.votes:
        return ""
    readers = verdict.readers
    shown = f"{readers / 1000:.0f}k" if readers >= 10_000 else str(readers)
    return f"{verdict.like_share:.0%} of {shown}"


def _verdict_json(verdict: ReaderVerdict | None) -> dict[str, float | int | None]:
    if verdict is None:
        return {"likes": 0, "dislikes": 0, "readers": 0, "like_share": None}
    return {
        "likes": verdict.likes,
        "dislikes": verdict.dislikes,
        "readers": verdict.readers,
        "like_share": verdict.like_share,
    }
