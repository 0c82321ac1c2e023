"""The evaluation stage's entry points: evaluate a version, promote it through the gate (or
by force), roll the champion back, publish a version. The CLI, the pipeline and the DAG
call these; each returns a small JSON-safe record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from horogen.errors import ModelNotFound
from horogen.evaluate import gate, promote
from horogen.evaluate import readers as readers_rule
from horogen.evaluate.corpus import corpus_index
from horogen.evaluate.grid import strategies
from horogen.evaluate.metrics import names
from horogen.evaluate.report import log_evaluation
from horogen.evaluate.run import Evaluation, Scores, StrategyResult, evaluate_model, fingerprint
from horogen.evaluate.scoring import Scorers, build_scorers
from horogen.evaluate.settings import EvaluateSettings, PublishSettings
from horogen.model import registry
from horogen.model.generate import HoroscopeGenerator
from horogen.model.packaging import VALIDATION_TABLE
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore, ResolvedModel
from horogen.model.strategy import Strategy
from horogen.model.tracking import ensure_experiment
from horogen.verdicts import VerdictSource, verdicts_per_version

log = logging.getLogger(__name__)
#: The best strategy's per-text scores, in the evaluation run: what the gate pairs.
GATE_TEXTS = "gate/texts.json"


class EvaluationRecord(BaseModel):
    """What ``evaluate_version`` did: the best strategy and how it compares."""

    model: str
    version: int | None
    run_id: str
    fingerprint: str
    strategy: Strategy
    scores: Scores
    reference: Scores | None
    strategies: int
    seconds: float


def evaluate_version(
    reference: str | None,
    *,
    store: ModelStore,
    settings: EvaluateSettings,
    generation: GenerationSettings,
    scorers: Scorers | None = None,
    on_strategy: Callable[[StrategyResult], None] | None = None,
    verdicts: VerdictSource | None = None,
) -> EvaluationRecord:
    """Evaluate the model ``reference`` names (default: the challenger, else the champion,
    else the newest version) on the strategy grid, log the report to MLflow (with the
    readers' verdicts per version from ``verdicts`` beside it; none if it does not answer)
    and write the best strategy onto the version. A failure marks the version ``failed``:
    it is never promoted."""
    started = time.perf_counter()
    target = store.connect()
    model = store.resolve(reference or _default_reference(store))
    grid = strategies(settings.grid, generation.strategy.max_new_tokens)
    stamp = fingerprint(settings, grid, generation)
    try:
        generator = HoroscopeGenerator.load(model, generation)
        evaluation = evaluate_model(
            generator,
            scorers or build_scorers(settings.scorers),
            settings,
            grid,
            reference_texts=reference_texts(model, settings),
            corpus=corpus_index(model, store),
            fingerprint=stamp,
            on_strategy=on_strategy,
        )
    except Exception as error:
        if model.version is not None:
            promote.record_failure(store.registry, model.version.version, error)
        raise
    experiment = ensure_experiment(store.mlflow.evaluation_experiment, target)
    readers = verdicts_per_version(verdicts, store.name) if verdicts else {}
    run_id = log_evaluation(
        evaluation, experiment, params=_params(settings, generation), readers=readers
    )
    store.client.log_dict(
        run_id, {"texts": evaluation.best.text_scores(settings.weights)}, GATE_TEXTS
    )
    if model.version is not None:
        promote.record_evaluation(store.registry, model.version.version, evaluation, run_id)
    return _record(evaluation, run_id, time.perf_counter() - started)


def promote_version(
    version: int | None = None,
    *,
    store: ModelStore,
    settings: EvaluateSettings,
    generation: GenerationSettings,
    publish: PublishSettings | None = None,
    force: bool = False,
    scorers: Scorers | None = None,
    verdicts: VerdictSource | None = None,
) -> promote.Decision:
    """Make ``version`` (default: the challenger) the champion if it beats the current one on
    the same requests, seeds and scorers by ``settings.margin``; with ``force``, whatever
    the scores. A version evaluated otherwise than ``settings`` say (or not at all) is
    evaluated first, and so is the champion; one that failed evaluation stays out. The
    decision is logged in the challenger's evaluation run; a new champion is published
    when ``publish`` says so."""
    versions = store.registry
    challenger = _version(store, version)
    champion = versions.champion()
    if force:
        change = promote.make_champion(
            versions, challenger.version, "forced", "promoted by hand (--force)"
        )
        decision = promote.Decision(
            challenger=challenger.version,
            champion=change.previous,
            challenger_score=None,
            champion_score=None,
            margin=settings.margin,
            promoted=True,
            reason=change.reason,
        )
    else:
        stamp = fingerprint(
            settings, strategies(settings.grid, generation.strategy.max_new_tokens), generation
        )
        scorers_of = _lazy_scorers(settings, scorers)
        challenger, challenger_score = _comparable_score(
            store, challenger, stamp, settings, generation, scorers_of
        )
        champion_score = None
        if champion is not None and champion.version != challenger.version:
            champion, champion_score = _comparable_score(
                store, champion, stamp, settings, generation, scorers_of
            )
        verdict = None
        if challenger_score is not None and champion_score is not None:
            verdict = gate.judge(
                _evidence(store, challenger),
                _evidence(store, champion),
                margin=settings.margin,
                tolerances=settings.guards,
                seed=settings.seed,
            )
        decision = promote.decide(
            challenger, champion, challenger_score, champion_score, settings.margin, verdict
        )
        if decision.promoted and champion is not None and verdicts is not None:
            decision = readers_check(decision, store, verdicts, settings)
        if decision.promoted:
            promote.make_champion(versions, challenger.version, "gate", decision.reason)
        _log_decision(store, challenger, decision)
    log.debug("version %s: %s", challenger.version, decision.reason)  # the record says it
    if publish is not None and publish.repo_id and publish.on_promote:
        publish_champion(store, challenger.version, publish)
    return decision


def readers_check(
    decision: promote.Decision,
    store: ModelStore,
    verdicts: VerdictSource,
    settings: EvaluateSettings,
) -> promote.Decision:
    """``decision`` after the readers' rule: a challenger readers like less than the
    champion (at ``settings.readers.confidence``) is not promoted, whatever its metrics."""
    if decision.champion is None:
        return decision
    since = canary_window(store.registry, decision.challenger, decision.champion)
    judgement = readers_rule.judge(
        decision.challenger,
        decision.champion,
        verdicts_per_version(verdicts, store.name, since),
        settings.readers,
    )
    if judgement.rejected:
        return decision.model_copy(
            update={"promoted": False, "reason": f"{decision.reason}, but {judgement.reason}"}
        )
    return decision.model_copy(update={"reason": f"{decision.reason}; {judgement.reason}"})


def canary_window(versions: registry.Registry, *numbers: int) -> dt.datetime | None:
    """When the canary window of two versions opened: the later registration of the two,
    from which both could be served side by side, to readers of the same days. Verdicts
    cast before it (the older version's earlier days) do not compare like with like."""
    found = [versions.version(number) for number in numbers]
    if any(version is None for version in found):
        return None
    return max(version.created_at for version in found if version is not None)


class ChampionCheck(BaseModel):
    """What ``horogen promote --check`` found: JSON-safe for XCom and logs."""

    champion: int | None
    previous: int | None
    rejected: bool
    rolled_back_to: int | None
    reason: str


def check_champion(
    store: ModelStore,
    settings: EvaluateSettings,
    verdicts: VerdictSource,
    *,
    rollback_on_reject: bool = False,
) -> ChampionCheck:
    """Whether readers reject the champion: like it less than the champion before it at
    ``settings.readers.confidence``; with ``rollback_on_reject``, the previous champion
    takes over (recorded as a rollback)."""
    versions = store.registry
    champion = versions.champion()
    if champion is None:
        return ChampionCheck(
            champion=None,
            previous=None,
            rejected=False,
            rolled_back_to=None,
            reason="there is no champion",
        )
    try:
        previous = promote.previous_champion(versions)
    except promote.PromotionError:
        return ChampionCheck(
            champion=champion.version,
            previous=None,
            rejected=False,
            rolled_back_to=None,
            reason=f"version {champion.version} has no earlier champion to compare with",
        )
    since = canary_window(versions, champion.version, previous)
    judgement = readers_rule.judge(
        champion.version,
        previous,
        verdicts_per_version(verdicts, store.name, since),
        settings.readers,
    )
    back = None
    if judgement.rejected and rollback_on_reject:
        back = rollback(store).version
    return ChampionCheck(
        champion=champion.version,
        previous=previous,
        rejected=judgement.rejected,
        rolled_back_to=back,
        reason=judgement.reason,
    )


def publish_champion(store: ModelStore, version: int, publish: PublishSettings) -> None:
    """Upload ``version`` to ``publish.repo_id`` if it is the champion and not uploaded
    there yet: so a promotion retried after a failed upload (the alias already moved)
    still publishes, and publishes once."""
    from horogen.evaluate.publish import publish_model

    champion = store.registry.champion()
    if champion is None or champion.version != version:
        return
    if champion.tags.get(promote.PUBLISHED_TAG) == publish.repo_id:
        return
    publish_model(store.resolve(str(version)), publish)
    store.registry.set_tags(version, {promote.PUBLISHED_TAG: publish.repo_id})


def rollback(store: ModelStore) -> promote.ChampionChange:
    """Give the champion alias back to the previous champion, and record it."""
    versions = store.registry
    current = versions.champion()
    previous = promote.previous_champion(versions)
    return promote.make_champion(
        versions, previous, "rollback", f"rolled back from version {current.version}"
    )


def reference_texts(model: ResolvedModel, settings: EvaluateSettings) -> list[str]:
    """Up to ``settings.reference_texts`` held-back validation texts of the version's
    training run, in the evaluated categories (all of them if too few); none for a model
    without a run or a run that logged none."""
    import mlflow
    from mlflow.exceptions import MlflowException

    run_id = model.tags.get("run_id")
    if not run_id:
        return []
    try:
        table = mlflow.artifacts.load_dict(f"runs:/{run_id}/{VALIDATION_TABLE}")
        rows = [dict(zip(table["columns"], row, strict=True)) for row in table["data"]]
    except (MlflowException, OSError, KeyError, ValueError) as error:
        log.warning("no reference texts for %s: %s", model.label, error)
        return []
    wanted = {str(category) for category in settings.categories}
    chosen = [row for row in rows if row["category"] in wanted]
    texts = [row["text"] for row in (chosen if len(chosen) >= 2 else rows)]
    texts.sort(key=lambda text: hashlib.sha256(text.encode()).hexdigest())
    return texts[: settings.reference_texts]


def _default_reference(store: ModelStore) -> str | None:
    """The challenger if there is one, else ``None`` (the champion, else the newest)."""
    challenger = store.registry.version(registry.CHALLENGER)
    return str(challenger.version) if challenger else None


def _version(store: ModelStore, version: int | None) -> registry.VersionInfo:
    found = store.registry.version(version or registry.CHALLENGER)
    if found is None:
        what = f"version {version}" if version else "a challenger (train a version first)"
        raise ModelNotFound(f"{store.name!r} has no {what}; `horogen models` lists them")
    return found


def _lazy_scorers(settings: EvaluateSettings, scorers: Scorers | None) -> Callable[[], Scorers]:
    """The scorers, built on first use (a gate whose scores are stored needs none)."""
    built: list[Scorers] = [scorers] if scorers else []

    def get() -> Scorers:
        if not built:
            built.append(build_scorers(settings.scorers))
        return built[0]

    return get


def _comparable_score(
    store: ModelStore,
    version: registry.VersionInfo,
    stamp: str,
    settings: EvaluateSettings,
    generation: GenerationSettings,
    scorers: Callable[[], Scorers],
) -> tuple[registry.VersionInfo, float | None]:
    """``version`` and its score under today's evaluation settings: stored, or evaluated
    now. A version that failed evaluation keeps its status and gets no score."""
    if version.tags.get(promote.STATUS_TAG) == "failed":
        return version, None
    score = promote.stored_score(version, stamp)
    if score is None:
        log.info("evaluating version %s as the gate compares it", version.version)
        evaluate_version(
            str(version.version),
            store=store,
            settings=settings,
            generation=generation,
            scorers=scorers(),
        )
        version = store.registry.version(version.version) or version
        score = promote.stored_score(version, stamp)
    return version, score


def _evidence(store: ModelStore, version: registry.VersionInfo) -> gate.VersionEvidence:
    """What the gate compares of ``version``: its evaluation's per-text scores (from its
    evaluation run) and its set's metric values (from its tags)."""
    from mlflow.exceptions import MlflowException

    run_id = version.tags[promote.RUN_TAG]
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = store.client.download_artifacts(run_id, GATE_TEXTS, folder)
            texts = json.loads(Path(path).read_text("utf-8"))["texts"]
        except (MlflowException, OSError, KeyError, ValueError) as error:
            raise promote.PromotionError(
                f"the evaluation run of version {version.version} has no per-text scores "
                f"({GATE_TEXTS}: {error}): evaluate it again with `horogen evaluate "
                f"{version.version}`"
            ) from error
    metrics = {
        name: float(version.tags[f"evaluation.{name}"])
        if f"evaluation.{name}" in version.tags
        else None
        for name in names()
    }
    return gate.VersionEvidence(version=version.version, texts=texts, metrics=metrics)


def _log_decision(
    store: ModelStore, challenger: registry.VersionInfo, decision: promote.Decision
) -> None:
    """The decision, in the challenger's evaluation run."""
    run_id = challenger.tags.get(promote.RUN_TAG)
    if not run_id:
        return
    client = store.client
    for key in ("challenger_score", "champion_score"):
        value = getattr(decision, key)
        if value is not None:
            client.log_metric(run_id, f"gate_{key}", value)
    if decision.interval is not None:
        interval = decision.interval
        client.log_metric(run_id, "gate_diff", interval.diff)
        client.log_metric(run_id, "gate_diff_low", interval.low)
        client.log_metric(run_id, "gate_diff_high", interval.high)
    for guard in decision.guards:
        client.set_tag(run_id, f"gate.guard.{guard.metric}", "passed" if guard.passed else "failed")
    client.set_tag(run_id, "gate.promoted", str(decision.promoted).lower())
    client.set_tag(run_id, "gate.champion", str(decision.champion or ""))
    client.set_tag(run_id, "gate.reason", decision.reason)


def _params(settings: EvaluateSettings, generation: GenerationSettings) -> dict[str, object]:
    return {
        "samples": settings.samples,
        "categories": ",".join(str(category) for category in settings.categories),
        "seed": settings.seed,
        "backend": str(generation.backend),
        "batch_size": generation.batch_size,
        "margin": settings.margin,
        **{f"weight_{key}": value for key, value in settings.weights.model_dump().items()},
    }


def _record(evaluation: Evaluation, run_id: str, seconds: float) -> EvaluationRecord:
    best = evaluation.best
    return EvaluationRecord(
        model=evaluation.model,
        version=evaluation.version,
        run_id=run_id,
        fingerprint=evaluation.fingerprint,
        strategy=best.strategy,
        scores=best.scores,
        reference=evaluation.reference,
        strategies=len(evaluation.results),
        seconds=round(seconds, 1),
    )
