"""Publish a version to a Hugging Face hub: the model, its tokenizer and a model card with
its data window, metrics and best strategy, as the original system did after training.

The endpoint and token are settings (``[publish]``); the token goes to ``huggingface_hub``
and nowhere else: it is never printed, logged or put in an error message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel

from horogen.errors import ConfigError, HorogenError
from horogen.evaluate.metrics import names
from horogen.evaluate.promote import SCORE_TAG
from horogen.evaluate.settings import PublishSettings
from horogen.model.store import ResolvedModel
from horogen.model.strategy import Strategy


class PublishError(HorogenError):
    """The hub refused or could not be reached."""


class Publication(BaseModel):
    """What was published where: JSON-safe for XCom and logs."""

    repo_id: str
    version: int | None
    commit_url: str


def publish_model(model: ResolvedModel, settings: PublishSettings) -> Publication:
    """Upload ``model`` (weights, tokenizer, model card, ``horogen.json``) as one commit."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:  # the hub client's own HTTP stack: an unreachable hub raises its ConnectError
        from httpx2 import HTTPError as TransportError
    except ImportError:  # older huggingface_hub releases use httpx
        from httpx import HTTPError as TransportError

    if not settings.repo_id:
        raise ConfigError(
            "publishing needs a hub repository: set HOROGEN_PUBLISH__REPO_ID (e.g. "
            "your-org/horogen-ru) and a write token in HOROGEN_PUBLISH__TOKEN or HF_TOKEN"
        )
    token = settings.token.get_secret_value() if settings.token else os.environ.get("HF_TOKEN")
    api = HfApi(endpoint=settings.endpoint, token=token)
    with tempfile.TemporaryDirectory() as folder:
        staged = Path(folder) / "model"
        shutil.copytree(model.hf_dir, staged)
        (staged / "README.md").write_text(model_card(model, settings.repo_id), "utf-8")
        (staged / "horogen.json").write_text(
            json.dumps(horogen_config(model), ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        try:
            api.create_repo(settings.repo_id, exist_ok=True, private=settings.private)
            commit = api.upload_folder(
                folder_path=str(staged),
                repo_id=settings.repo_id,
                commit_message=f"horogen {model.label}",
            )
        except (HfHubHTTPError, TransportError, OSError, ValueError) as error:
            raise PublishError(
                f"could not publish {model.label} to {settings.endpoint} as "
                f"{settings.repo_id}: {_redacted(str(error).splitlines()[0], token)}"
            ) from None
    version = model.version.version if model.version else None
    return Publication(repo_id=settings.repo_id, version=version, commit_url=commit.commit_url)


#: What a version froze of its prompts and slots (``prompts``: versions from before the
#: prompt named the date).
FROZEN_RECIPES = ("prompt", "prompts", "slots")


def horogen_config(model: ResolvedModel) -> dict:
    """What horogen needs besides the weights: the prompt recipe (or, for a version from
    before prompts named the date, the prompt table), the slots' words and the best
    strategy."""
    strategy = Strategy.of_version(model.tags)
    frozen = {key: value for key, value in model.config.items() if key in FROZEN_RECIPES}
    return {
        **frozen,
        "max_source_length": model.max_source_length,
        "strategy": strategy.model_dump() if strategy else model.config.get("generation"),
    }


def model_card(model: ResolvedModel, repo_id: str) -> str:
    """A README.md with the hub's YAML header: what the model is, its data and scores."""
    tags = model.tags
    version = model.version
    strategy = Strategy.of_version(tags)
    lines = [
        "---",
        "language: ru",
        "library_name: transformers",
        "pipeline_tag: text2text-generation",
        "tags: [horogen, horoscope, t5]",
        "---",
        "",
        f"# {repo_id}",
        "",
        "A Russian horoscope generator trained by [horogen](https://github.com/horogen/horogen) "
        "on horoscopes collected daily from Russian websites.",
        "",
        "| | |",
        "|---|---|",
        f"| version | {model.label} |",
        f"| base model | {tags.get('base_model', 'unknown')} |",
        f"| data window | {tags.get('data_window', 'unknown')} |",
        f"| data fingerprint | {tags.get('data_fingerprint', 'unknown')} |",
    ]
    if version is not None:
        for key, value in sorted(version.metrics.items()):
            if key.startswith(("best_eval", "train_loss")):
                lines.append(f"| {key} | {value:.4f} |")
    for key in names():
        if f"evaluation.{key}" in tags:
            lines.append(f"| evaluation {key} | {tags[f'evaluation.{key}']} |")
    if SCORE_TAG in tags:
        lines.append(f"| evaluation score | {float(tags[SCORE_TAG]):.4f} |")
    if strategy is not None:
        lines.append(
            f"| best strategy | top_p {strategy.top_p:g}, temperature {strategy.temperature:g} |"
        )
    prompt = model.prompt("leo", "general", dt.date(2026, 12, 2))
    lines += [
        "",
        "## Use",
        "",
        "```python",
        "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer",
        "",
        f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}")',
        f'model = AutoModelForSeq2SeqLM.from_pretrained("{repo_id}")',
        f'inputs = tokenizer("{prompt}", return_tensors="pt")',
        "output = model.generate(**inputs, do_sample=True, "
        f"top_p={strategy.top_p if strategy else 0.9}, "
        f"temperature={strategy.temperature if strategy else 1.0}, max_new_tokens=256)",
        "print(tokenizer.decode(output[0], skip_special_tokens=True))",
        "```",
        "",
        "How every prompt is built (sign, category, date) is in `horogen.json`; a text's "
        "slots (`<sign:datv:plur>`, `<day>`, …) are filled from the request, inflected by "
        "pymorphy3, by `horogen.model.pyfunc.fill_slots`.",
        "",
    ]
    return "\n".join(lines)


def _redacted(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text
