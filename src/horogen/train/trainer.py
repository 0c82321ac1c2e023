"""Fine-tune the generator: Seq2SeqTrainer, tracked in MLflow, resumable, registered.

:func:`train` is the entry point the CLI and the pipeline call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import mlflow
from pydantic import BaseModel, computed_field
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from transformers import TrainerCallback

from horogen import atomic
from horogen.errors import ConfigError, ModelLoadError, TrackingError
from horogen.lake import Lake
from horogen.layout import PROCESSED, runs_dir
from horogen.model.prompts import sample_prompts
from horogen.model.pyfunc import SLOT
from horogen.model.slots import SLOT_TOKENS
from horogen.model.store import ModelStore
from horogen.model.strategy import Strategy
from horogen.train.data import TRAIN, VALIDATION, DataWindow, TrainingSet, build_training_set
from horogen.train.model import FRESH, StartingPoint, load_base, load_pretrained
from horogen.train.registration import register_run
from horogen.train.runs import (
    RunDir,
    RunRecord,
    checkpoint_step,
    find_run,
    git_state,
    new_run,
    unfinished_run,
)
from horogen.train.settings import TrainSettings
from horogen.train.tracking import StepMetrics, end_run_if_ours, open_run, perplexity

log = logging.getLogger(__name__)
#: Share of truncated targets (or prompts) above which training warns.
TRUNCATION_WARNING = 0.10


class TrainResult(BaseModel):
    """A finished training run: its directory and record, the version it registered."""

    run_dir: Path
    record: RunRecord

    @computed_field  # type: ignore[prop-decorator]
    @property
    def version(self) -> int | None:
        return self.record.model_version

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mlflow_run_id(self) -> str | None:
        return self.record.mlflow_run_id


def train(
    config: TrainSettings,
    *,
    lake: Lake,
    models: ModelStore,
    strategy: Strategy | None = None,
    window: DataWindow | None = None,
    base: str | None = None,
    epochs: int | None = None,
    resume: bool = False,
    run_name: str | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a model on the processed data of ``lake`` in ``window`` and register it in
    ``models``, with ``strategy`` (default: :class:`Strategy`'s) as its decoding defaults.

    ``base`` and ``epochs`` override ``config``. With ``resume``, the newest unfinished
    run (or ``run_name``) continues from its last complete checkpoint with the data and
    settings it started with, or, killed before its first checkpoint, starts over from
    exactly the base it resolved then. Asked for nothing but a window, a run on exactly
    that window left unfinished (its process killed, or timed out) is resumed the same
    way: what a retried training task does. The model is saved in the run directory before
    anything is logged; when MLflow cannot be reached, training goes on and
    :class:`~horogen.errors.TrackingError` at the end names the directory to
    ``horogen register`` later.

    ``train`` starts and ends its own MLflow run: with another run active in this process
    it raises :class:`ConfigError` before doing anything, and it never ends a run but its
    own. Settings that cannot work (an S3 lake without a tracking URI) fail at once too.
    """
    active = mlflow.active_run()
    if active is not None:
        raise ConfigError(
            f"the MLflow run {active.info.run_id} is active in this process; train() starts "
            "and ends its own run: end that one first (mlflow.end_run())"
        )
    models.tracking()  # where MLflow runs; an S3 lake without a tracking URI fails here
    root = runs_dir(lake, config.work_dir)
    if not (resume or base or epochs or run_name) and window is not None:
        unfinished = unfinished_run(root, window)
        if unfinished is not None:
            log.warning("continuing the unfinished run %s of %s", unfinished.path.name, window)
            resume, run_name, window = True, unfinished.path.name, None
    if resume:
        if base or epochs or window not in (None, DataWindow()):
            raise ConfigError(
                "--resume continues a run with the data and settings it started with: "
                "drop --base, --epochs, --from and --to"
            )
        run, record, data, checkpoint = _reopen(root, run_name)
        config = record.settings.model_copy(update={"work_dir": config.work_dir})
    else:
        config = config.model_copy(
            update={k: v for k, v in (("base", base), ("epochs", epochs)) if v is not None}
        )
        run, record, data = _create(config, lake, root, window, run_name)
        checkpoint = None

    if checkpoint is not None:
        model, tokenizer = load_pretrained(checkpoint, tried=f"checkpoint {checkpoint}")
        start = StartingPoint(model, tokenizer, record.base_model)
        step = checkpoint_step(checkpoint)
        record.resumes.append({"checkpoint": str(checkpoint), "global_step": step})
        log.warning("resuming %s from %s", run.path.name, checkpoint)
    else:
        # Starting over loads what the run resolved its base to when it started (the
        # champion of that day, not today's), else what it asks for.
        requested = record.base_model if resume else config.base
        texts = _tokenizer_texts(data) if requested == FRESH else ()
        try:
            start = load_base(requested, config, models, texts=texts)
        except ModelLoadError:
            if not resume:  # nothing happened yet: leave no run behind
                shutil.rmtree(run.path, ignore_errors=True)
            raise
        record.base_model = start.base_model
        add_slot_tokens(start)
    record.model_shape = _shape(start)
    record.token_stats = token_stats(start.tokenizer, data, config)
    _warn_about_truncation(record.token_stats, config)
    trainer = build_trainer(start, data, config, run, progress=progress)

    try:
        record.mlflow_run_id = open_run(models, run, record, data)
        trainer.add_callback(StepMetrics(record.mlflow_run_id))
    except TrackingError as error:
        log.warning("%s: training goes on; the model will be kept in %s", error, run.path)
    try:
        run.write(record)
        fit(trainer, checkpoint)
        _save_model(trainer, run)
        record.metrics = summary(trainer.state)
        record.status = "trained"
        run.write(record)
        run.discard_checkpoints()
        record = register_run(run.path, models, strategy or Strategy())
    except BaseException as error:
        interrupted = isinstance(error, KeyboardInterrupt | SystemExit)
        end_run_if_ours(record.mlflow_run_id, "KILLED" if interrupted else "FAILED")
        raise
    end_run_if_ours(record.mlflow_run_id, "FINISHED")
    return TrainResult(run_dir=run.path, record=record)


def _create(
    config: TrainSettings,
    lake: Lake,
    root: Path,
    window: DataWindow | None,
    run_name: str | None,
) -> tuple[RunDir, RunRecord, TrainingSet]:
    """A new run: its directory, record and training set."""
    data = build_training_set(
        lake,
        window,
        min_rows=config.min_rows,
        validation_buckets=config.validation_buckets,
        foreign_mentions=config.foreign_mentions,
    )
    run = new_run(root, config.base, run_name)
    run.save_training_set(data)
    record = RunRecord(
        name=run.path.name,
        created_at=dt.datetime.now(dt.UTC).isoformat(),
        base=config.base,
        base_model=config.base,
        window=data.window,
        fingerprint=data.fingerprint,
        settings=config,
        data_source=lake.url(PROCESSED),
    )
    record.git_commit, record.git_dirty = git_state()
    return run, record, data


def _reopen(root: Path, run_name: str | None) -> tuple[RunDir, RunRecord, TrainingSet, Path | None]:
    """The newest unfinished (or the named) run, with the data it started with."""
    run = find_run(root, run_name)
    record = run.read()
    if record.status != "training":
        hint = "; register it with `horogen register RUN_DIR`" if record.status == "trained" else ""
        raise ConfigError(f"run {run.path} has finished training ({record.status}){hint}")
    return run, record, run.training_set(record), run.last_checkpoint()


def build_trainer(
    start: StartingPoint, data: TrainingSet, config: TrainSettings, run: RunDir, *, progress: bool
) -> Any:
    """A Seq2SeqTrainer: evaluation and a checkpoint each epoch, the best one kept and
    loaded at the end, early stopping on the validation loss."""
    import torch
    from transformers import (
        DataCollatorForSeq2Seq,
        EarlyStoppingCallback,
        PrinterCallback,
        Seq2SeqTrainer,
        Seq2SeqTrainingArguments,
    )

    tokenizer = start.tokenizer
    use_cpu = config.use_cpu if config.use_cpu is not None else not torch.cuda.is_available()
    args = Seq2SeqTrainingArguments(
        output_dir=str(run.checkpoints),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        learning_rate=config.resolved_learning_rate(),
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="steps",
        logging_steps=config.logging_steps,
        logging_first_step=True,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        save_total_limit=config.save_total_limit,
        prediction_loss_only=True,  # never gather logits: vocabulary × length × rows
        seed=config.seed,
        data_seed=config.seed,
        use_cpu=use_cpu,
        report_to="none",  # logged by StepMetrics: no TrainingArguments dump in the params
        disable_tqdm=True,  # no tqdm lines: LossBar shows the run when progress is wanted
    )
    trainer = Seq2SeqTrainer(
        model=start.model,
        args=args,
        train_dataset=encode(tokenizer, data, TRAIN, config),
        eval_dataset=encode(tokenizer, data, VALIDATION, config),
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=start.model),
        processing_class=tokenizer,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)],
    )
    trainer.remove_callback(PrinterCallback)  # what replaces tqdm: it prints each log dict
    if progress:
        trainer.add_callback(LossBar())
    return trainer


class LossBar(TrainerCallback):
    """The run as one progress bar: steps, epoch, the latest training and validation loss."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console  # None: rich's console, which the CLI's log shares
        self.progress: Progress | None = None
        self.task: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        self.progress = Progress(  # fits 80 columns
            TextColumn("training"),
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TextColumn(
                "epoch {task.fields[epoch]:.2f} · loss {task.fields[loss]} · "
                "val {task.fields[validation]}"
            ),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "training",
            total=state.max_steps,
            completed=state.global_step,
            epoch=state.epoch or 0.0,
            loss="–",
            validation="–",
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step, epoch=state.epoch or 0.0)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if self.progress is None or not logs:
            return
        shown = {"loss": "loss", "eval_loss": "validation"}
        fields = {shown[key]: f"{logs[key]:.3f}" for key in shown if key in logs}
        if fields:
            self.progress.update(self.task, **fields)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.close()

    def close(self) -> None:
        """Leave the bar as it last stood (also when training ends with an error)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def encode(tokenizer: Any, data: TrainingSet, split: str, config: TrainSettings) -> list[dict]:
    """Token ids of a split: prompts and texts truncated to the configured lengths."""
    prompts, texts = data.pairs(split)
    inputs = tokenizer(prompts, max_length=config.max_source_length, truncation=True)
    labels = tokenizer(text_target=texts, max_length=config.max_target_length, truncation=True)
    return [
        {"input_ids": ids, "attention_mask": mask, "labels": target}
        for ids, mask, target in zip(
            inputs["input_ids"], inputs["attention_mask"], labels["input_ids"], strict=True
        )
    ]


def token_stats(tokenizer: Any, data: TrainingSet, config: TrainSettings) -> dict[str, float]:
    """Prompt and target lengths in tokens over both splits, before truncation: the 95th
    percentile and the share that ``max_source_length``/``max_target_length`` cut."""
    prompts, texts = data.frame["prompt"].to_list(), data.frame["target"].to_list()
    stats: dict[str, float] = {}
    for name, lengths, limit in (
        ("prompt", _lengths(tokenizer(prompts)), config.max_source_length),
        ("target", _lengths(tokenizer(text_target=texts)), config.max_target_length),
    ):
        ordered = sorted(lengths)
        stats[f"{name}_tokens_p95"] = float(ordered[max(0, -(-95 * len(ordered) // 100) - 1)])
        stats[f"{name}s_truncated_share"] = sum(n > limit for n in lengths) / len(lengths)
    return stats


def _lengths(encoded: Any) -> list[int]:
    return [len(ids) for ids in encoded["input_ids"]]


def _warn_about_truncation(stats: dict[str, float], config: TrainSettings) -> None:
    for name, setting in (("prompt", "max_source_length"), ("target", "max_target_length")):
        share = stats[f"{name}s_truncated_share"]
        if share > TRUNCATION_WARNING:
            log.warning(
                "%.0f%% of the %ss are longer than train.%s = %d tokens (95th percentile: "
                "%d) and are cut short: raise HOROGEN_TRAIN__%s",
                100 * share,
                name,
                setting,
                getattr(config, setting),
                stats[f"{name}_tokens_p95"],
                setting.upper(),
            )


def fit(trainer: Any, checkpoint: Path | None) -> None:
    try:
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    finally:
        for callback in trainer.callback_handler.callbacks:
            if isinstance(callback, LossBar):
                callback.close()


def summary(state: Any) -> dict[str, float]:
    """The run's key metrics from the Trainer's state."""
    metrics: dict[str, float] = {"global_step": state.global_step, "epochs": state.epoch or 0}
    if state.best_metric is not None:
        metrics["best_eval_loss"] = state.best_metric
        metrics["best_eval_perplexity"] = perplexity(state.best_metric)
    final = [entry["train_loss"] for entry in state.log_history if "train_loss" in entry]
    if final:
        metrics["train_loss"] = final[-1]
    return {key: float(value) for key, value in metrics.items()}


def _save_model(trainer: Any, run: RunDir) -> None:
    """Write the (best) model and tokenizer, then the log history, each whole (a ``model/``
    from an earlier attempt is replaced)."""
    with atomic.new_directory(run.model_dir) as partial:
        trainer.save_model(str(partial))
    state = json.dumps(dataclasses.asdict(trainer.state), indent=2, sort_keys=True) + "\n"
    atomic.write_file(run.state_path, state.encode())


def _tokenizer_texts(data: TrainingSet) -> list[str]:
    """What a fresh tokenizer learns from: the training targets without their slots and a
    prompt for every sign and category, over every weekday, day and month (only a
    ``fresh`` base trains a tokenizer; the slots join it as whole tokens,
    :func:`add_slot_tokens`). Targets rather than texts: the vocabulary then has no piece
    for a sign's inflected forms ("Близнецов"), which no target holds."""
    targets = [SLOT.sub(" ", target) for target in data.split(TRAIN)["target"].to_list()]
    return targets + sample_prompts()


def add_slot_tokens(start: StartingPoint) -> None:
    """Make every slot one token of the tokenizer, growing the model's embeddings for
    those it lacks (a hub model, a fresh one; a version trained with slots has them)."""
    from tokenizers import AddedToken

    vocabulary = start.tokenizer.get_vocab()
    missing = [token for token in SLOT_TOKENS if token not in vocabulary]
    if missing:
        start.tokenizer.add_tokens([AddedToken(token, normalized=False) for token in missing])
        start.model.resize_token_embeddings(len(start.tokenizer))


def _shape(start: StartingPoint) -> dict[str, Any]:
    config = start.model.config
    return {
        "parameters": sum(p.numel() for p in start.model.parameters()),
        "vocab_size": len(start.tokenizer),
        "d_model": getattr(config, "d_model", None),
        "num_layers": getattr(config, "num_layers", None),
    }
