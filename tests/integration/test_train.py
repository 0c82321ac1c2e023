"""Training end to end with a tiny fresh model on a generated corpus: it learns, is
registered, loads back through MLflow (even where horogen is not installed), resumes after
a kill, and never stays RUNNING."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import polars as pl
import pytest
from transformers import AutoTokenizer, Seq2SeqTrainer
from typer.testing import CliRunner

import horogen.cli.train  # noqa: F401  (registers the commands)
from horogen.cli.app import app
from horogen.config import Settings
from horogen.deployment import Deployment
from horogen.errors import TrackingError
from horogen.lake import Lake
from horogen.layout import processed_path
from horogen.model import registry
from horogen.model.slots import slot_text
from horogen.train import trainer
from horogen.train.registration import register_run
from horogen.train.runs import RunDir
from train_corpus import TINY_ENV, tiny_settings, train_with, write_corpus

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _isolated_tracking(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for name in list(os.environ):
        if name.startswith("HOROGEN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    lake = Lake(str(tmp_path / "lake"))
    write_corpus(lake, dt.date(2026, 11, 1), 4)
    return tiny_settings(lake.uri)


def client(settings: Settings) -> mlflow.MlflowClient:
    Deployment(settings).models.connect()
    return mlflow.MlflowClient()


def versions(settings: Settings) -> registry.Registry:
    return Deployment(settings).models.registry


def register(run_dir: Path, settings: Settings):
    return register_run(run_dir, Deployment(settings).models, settings.generation.strategy)


def crash(*args: object) -> None:
    raise RuntimeError("out of memory, say")


#: Loads a version with `import horogen` made impossible; prints its text as JSON.
WITHOUT_HOROGEN = """
import json, sys
sys.modules["horogen"] = None  # `import horogen` (and any horogen.*) now raises ImportError
try:
    import horogen.model.pyfunc
except ImportError:
    pass
else:
    raise SystemExit("horogen is importable")
import mlflow
model = mlflow.pyfunc.load_model(sys.argv[1])
texts = model.predict(["aries", "leo"], params={"seed": 5})
print(json.dumps({"texts": texts, "horogen": [m for m in sys.modules if m.startswith("horogen.")]}))
"""


def test_trains_registers_and_loads_back(settings: Settings, monkeypatch, tmp_path: Path) -> None:
    result = train_with(settings, progress=False)

    record = result.record
    assert (record.status, record.model_version, record.model_uri) == (
        "registered",
        1,
        "models:/horogen/1",
    )
    assert (result.run_dir / "model" / "config.json").is_file()
    assert not (result.run_dir / "checkpoints").exists()

    mlflow_client = client(settings)
    run = mlflow_client.get_run(record.mlflow_run_id)
    assert run.info.status == "FINISHED"
    assert run.info.experiment_id == mlflow.get_experiment_by_name("horogen-training").experiment_id
    # Loss falls: training steps and validation epochs.
    losses = [m.value for m in mlflow_client.get_metric_history(run.info.run_id, "loss")]
    evals = [m.value for m in mlflow_client.get_metric_history(run.info.run_id, "eval_loss")]
    assert losses[-1] < losses[0] - 0.5
    assert len(evals) == 3 and evals[-1] < evals[0]
    assert run.data.metrics["best_eval_perplexity"] == pytest.approx(
        2.718281828 ** run.data.metrics["best_eval_loss"], rel=1e-6
    )
    # A trimmed set of params, none of them the TrainingArguments dump.
    assert run.data.params["base"] == "fresh" and "adam_beta1" not in run.data.params
    assert max(len(value) for value in run.data.params.values()) < 100
    assert run.data.tags["data_window"] == "2026-11-01..2026-11-04"
    assert run.data.tags["data_fingerprint"] == record.fingerprint.content_hash
    assert run.data.tags["git_dirty"] in ("true", "false")
    # Truncation is measured: the tiny settings keep 64 target tokens; count the corpus
    # texts longer than that with the tokenizer saved beside the model.
    tokenizer = AutoTokenizer.from_pretrained(result.run_dir / "model")
    corpus = pl.concat(
        pl.read_parquet(Path(settings.lake) / processed_path(dt.date(2026, 11, day)))
        for day in range(1, 5)
    )
    targets = [slot_text(*row) for row in corpus.select("text", "sign", "date").rows()]
    lengths = [len(tokenizer(text_target=target)["input_ids"]) for target in targets]  # trained
    too_long = sum(length > 64 for length in lengths) / len(lengths)
    assert 0 < too_long < 1
    assert run.data.metrics["targets_truncated_share"] == pytest.approx(too_long)
    assert run.data.metrics["target_tokens_p95"] > 64
    assert run.data.metrics["prompts_truncated_share"] == 0.0
    # The prompt table frozen into the model (MLflow logs a model_config as params too).
    assert run.data.params["prompt/signs/aries"] == "Овен"
    assert run.data.params["slots/months/12"] == "декабрь"
    (dataset_input,) = run.inputs.dataset_inputs
    assert dataset_input.dataset.digest == record.fingerprint.content_hash[:32]
    profile = json.loads(dataset_input.dataset.profile)
    assert profile["rows_per_sign"]["aries"] == 8 and profile["rows"] == 96

    version = versions(settings).version(1)
    assert version is not None
    assert version.tags["run_id"] == run.info.run_id
    assert version.tags["base_model"] == "fresh"
    assert version.tags["data_fingerprint"] == record.fingerprint.content_hash

    model = mlflow.pyfunc.load_model("models:/horogen/1")
    texts = model.predict(["aries", "leo"], params={"seed": 3})
    assert len(texts) == 2 and all(CYRILLIC.search(text) for text in texts)
    request = {"sign": ["virgo"], "category": ["love"], "date": ["2026-11-25"]}
    assert model.predict(request) == model.predict(request)

    # The version stands alone: no run directory, no horogen package.
    shutil.rmtree(result.run_dir)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment["MLFLOW_TRACKING_URI"] = Deployment(settings).models.tracking().uri
    loaded = subprocess.run(
        [sys.executable, "-c", WITHOUT_HOROGEN, "models:/horogen/1"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    output = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert output["horogen"] == []
    assert len(output["texts"]) == 2 and all(CYRILLIC.search(t) for t in output["texts"])
    assert output["texts"] == model.predict(["aries", "leo"], params={"seed": 5})

    listing = CliRunner().invoke(app, ["models", "--json", "--lake", settings.lake])
    assert listing.exit_code == 0, listing.output
    (listed,) = json.loads(listing.stdout)["versions"]
    assert listed["uri"] == "models:/horogen/1" and listed["run_id"] == run.info.run_id
    assert listed["tags"]["data_window"] == "2026-11-01..2026-11-04"
    assert "best_eval_loss" in listed["metrics"]

    # The next run starts from the champion: warm start through the registry.
    versions(settings).set_alias(registry.CHAMPION, 1)
    # One such run is killed before its first checkpoint…
    with monkeypatch.context() as patched:
        patched.setattr(trainer, "fit", crash)
        with pytest.raises(RuntimeError):
            train_with(settings, base="champion", epochs=1, run_name="cut-short", progress=False)
    cut_short = RunDir(Path(settings.lake) / "runs" / "cut-short")
    assert cut_short.read().base_model == "models:/horogen/1"
    # …another one finishes and becomes the champion…
    warm = train_with(settings, base="champion", epochs=1, progress=False)
    assert warm.record.base_model == "models:/horogen/1"
    assert versions(settings).version(2).tags["base_model"] == "models:/horogen/1"
    versions(settings).set_alias(registry.CHAMPION, 2)
    # …and resuming the first (the newest unfinished run) starts over from version 1, the
    # champion it started from, not from today's champion.
    bases: list[str] = []
    load_base = trainer.load_base
    monkeypatch.setattr(
        trainer, "load_base", lambda base, *a, **k: bases.append(base) or load_base(base, *a, **k)
    )
    resumed = train_with(settings, resume=True, progress=False)
    assert resumed.run_dir == cut_short.path and bases == ["models:/horogen/1"]
    assert versions(settings).version(3).tags["base_model"] == "models:/horogen/1"
    # Newest first: a new version is the challenger until evaluation decides.
    assert [v.aliases for v in versions(settings).versions()] == [
        ["challenger"],
        ["champion"],
        [],
    ]


def test_a_crash_ends_the_run_failed(settings: Settings, monkeypatch) -> None:
    monkeypatch.setattr(trainer, "fit", crash)
    with pytest.raises(RuntimeError, match="out of memory"):
        train_with(settings, run_name="crashing", progress=False)

    run = RunDir(Path(settings.lake) / "runs" / "crashing")
    record = run.read()
    assert record.status == "training"
    assert client(settings).get_run(record.mlflow_run_id).info.status == "FAILED"
    assert mlflow.active_run() is None


def test_tracking_down_keeps_the_model_to_register_later(settings: Settings) -> None:
    with socket.socket() as refusing:  # bound and held, never listening: connections fail
        refusing.bind(("127.0.0.1", 0))
        down_uri = f"http://127.0.0.1:{refusing.getsockname()[1]}"
        down = settings.model_copy(
            update={"mlflow": settings.mlflow.model_copy(update={"tracking_uri": down_uri})}
        )
        with pytest.raises(TrackingError, match="horogen register") as caught:
            train_with(down, epochs=2, run_name="offline", progress=False)
    run_dir = Path(settings.lake) / "runs" / "offline"
    assert str(run_dir) in str(caught.value)
    assert (run_dir / "model" / "config.json").is_file()

    registered = CliRunner().invoke(app, ["register", str(run_dir), "--lake", settings.lake])
    assert registered.exit_code == 0, registered.output
    record = RunDir(run_dir).read()
    assert record.model_uri == "models:/horogen/1"
    mlflow_client = client(settings)
    run = mlflow_client.get_run(record.mlflow_run_id)
    assert run.info.status == "FINISHED"
    assert len(mlflow_client.get_metric_history(run.info.run_id, "eval_loss")) == 2
    assert run.inputs.dataset_inputs
    # Registering again changes nothing.
    again = CliRunner().invoke(app, ["register", str(run_dir), "--lake", settings.lake])
    assert again.exit_code == 0 and len(versions(settings).versions()) == 1
    # Nor when run.json missed the version (a crash right after registering): the version
    # made from this run is found and reused.
    forgetful = RunDir(run_dir).read()
    forgetful.model_version = forgetful.model_uri = None
    forgetful.status = "trained"
    RunDir(run_dir).write(forgetful)
    assert register(run_dir, settings).model_version == 1
    assert len(versions(settings).versions()) == 1
    # A registration that failed after logging the model registers the logged model rather
    # than logging it again.
    mlflow_client.delete_model_version("horogen", "1")
    RunDir(run_dir).write(forgetful)
    assert register(run_dir, settings).model_version == 2
    assert len(mlflow_client.get_run(record.mlflow_run_id).outputs.model_outputs) == 1
    assert mlflow_client.get_run(record.mlflow_run_id).info.status == "FINISHED"


def test_resume_after_a_kill_continues_from_the_last_checkpoint(
    settings: Settings, monkeypatch
) -> None:
    """`horogen train` in a subprocess, killed once a checkpoint is complete, then resumed."""
    env = os.environ | TINY_ENV | {"HOROGEN_TRAIN__EARLY_STOPPING_PATIENCE": "20"}
    script = "import horogen.cli.train; from horogen.cli.app import app; app()"
    command = [sys.executable, "-c", script, "train", "--lake", settings.lake]
    command += ["--base", "fresh", "--epochs", "6", "--run", "killed"]
    run = RunDir(Path(settings.lake) / "runs" / "killed")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while run.last_checkpoint() is None:
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint within two minutes"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)  # what `kill`, Airflow and Kubernetes send
    finally:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
    checkpoint = run.last_checkpoint()
    assert checkpoint is not None
    step = int(checkpoint.name.split("-")[1])
    record = run.read()
    assert record.status == "training"
    assert process.returncode != 0
    assert client(settings).get_run(record.mlflow_run_id).info.status == "KILLED"

    calls: list[object] = []
    trainer_train = Seq2SeqTrainer.train

    def spy(self, *args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("resume_from_checkpoint"))
        return trainer_train(self, *args, **kwargs)

    monkeypatch.setattr(Seq2SeqTrainer, "train", spy)
    resumed_at = int(time.time() * 1000)
    result = train_with(settings, resume=True, progress=False)

    assert result.run_dir == run.path
    assert calls == [str(checkpoint)]
    assert result.record.resumes == [{"checkpoint": str(checkpoint), "global_step": step}]
    steps_per_epoch = -(-result.record.fingerprint.train_rows // 8)
    assert step < result.record.metrics["global_step"] == 6 * steps_per_epoch
    mlflow_client = client(settings)
    final = mlflow_client.get_run(record.mlflow_run_id)
    assert final.info.status == "FINISHED"
    # One run, one history: steps logged before the kill, and after the resume only steps
    # past the checkpoint (a restart from step 0 would log steps up to it again).
    history = {
        key: mlflow_client.get_metric_history(final.info.run_id, key)
        for key in ("loss", "eval_loss")
    }
    before = [m.step for m in history["loss"] if m.timestamp < resumed_at]
    after = {
        key: [m.step for m in metrics if m.timestamp >= resumed_at]
        for key, metrics in history.items()
    }
    assert before and min(before) <= step
    assert after["loss"] and after["eval_loss"]
    assert all(logged > step for steps in after.values() for logged in steps), (step, after)
    assert result.record.model_uri == "models:/horogen/1"
