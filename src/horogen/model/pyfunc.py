"""The logged model: an MLflow pyfunc logged as code ("models from code").

MLflow stores this file with every version and runs it when the version is loaded, so it
imports only mlflow, pandas, torch and transformers, never horogen: a version loads and
generates wherever those are installed, and keeps the prompts it was trained with even
after horogen changes its prompt format. What it needs is frozen into the version's
``model_config`` when it is logged (``horogen.model.packaging.model_config``):

    prompts            {sign slug: {category: prompt}}: every prompt, built by build_prompt
    default_category   the category of a row that names none
    generation         decoding defaults: top_p, temperature, top_k, no_repeat_ngram_size,
                       repetition_penalty, max_new_tokens, seed
    max_source_length  prompt tokens kept

and the Hugging Face directory is the artifact ``hf_model``.

    model = mlflow.pyfunc.load_model("models:/horogen/3")
    model.predict(["aries", "leo"])
    model.predict(pd.DataFrame({"sign": ["aries"], "category": ["love"], "date": ["2026-11-25"]}),
                  params={"top_p": 0.95, "seed": 7})

A row is decoded with its own ``seed`` column when the input has one, else with a seed
derived from ``seed``, its sign, category and date whenever ``seed`` is set (≥ 0) or the
row has a date, so the same request gives the same text. Rows are generated in batches;
each row draws its sampling noise from its own generator, so its text does not depend on
the other rows of the request, and the process-wide torch RNG is left alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import mlflow.models
import mlflow.pyfunc
import pandas as pd

#: Name of the Hugging Face directory among the model's artifacts.
HF_ARTIFACT = "hf_model"
#: A request's input example (also what the input schema would say, were it enforced).
INPUT_EXAMPLE = pd.DataFrame({"sign": ["aries"], "category": ["love"], "date": ["2026-01-01"]})
#: Rows per ``generate`` call.
BATCH_SIZE = 16


@dataclass(frozen=True)
class Row:
    """One request row, resolved: its prompt and the seed its noise is drawn with."""

    sign: str
    category: str
    date: str | None
    prompt: str
    #: The row's own seed (a ``seed`` column); ``None``: derived from the request's seed.
    seed: int | None = None


class HoroscopeModel(mlflow.pyfunc.PythonModel):
    """Generates one text per input row: a sign, an optional category and date."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        #: The version's ``model_config`` (see the module docstring).
        self.config: dict[str, Any] = dict(config or {})
        self.model: Any = None
        self.tokenizer: Any = None

    def load_context(self, context: Any) -> None:
        self.config = dict(context.model_config or {})
        self.load(context.artifacts[HF_ARTIFACT])

    def load(self, directory: str) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(directory)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(directory).eval()

    # ``pd.DataFrame`` is the one input hint from which MLflow infers no schema to enforce:
    # a list of slugs and a dict pass too. Without a hint MLflow warns on every import.
    def predict(self, context, model_input: pd.DataFrame, params=None):  # type: ignore[no-untyped-def]
        """Texts for ``model_input``: a list of sign slugs, or a DataFrame (or dict) with a
        ``sign`` column and optional ``category``, ``date`` and ``seed`` columns."""
        options = {**self.config["generation"], **(params or {})}
        rows = rows_of(model_input, self.config["prompts"], self.config["default_category"])
        texts: list[str] = []
        for start in range(0, len(rows), BATCH_SIZE):
            texts += self.generate(rows[start : start + BATCH_SIZE], options)
        return texts

    def generate(self, rows: list[Row], options: dict[str, Any]) -> list[str]:
        """One ``generate`` call for ``rows``, which share the decoding ``options``."""
        seed = int(options["seed"])
        return generate_texts(
            self.model,
            self.tokenizer,
            [row.prompt for row in rows],
            [seed_of(row, seed) for row in rows],
            options,
            max_source_length=int(self.config["max_source_length"]),
        )


def generate_texts(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    seeds: list[int | None],
    options: dict[str, Any],
    *,
    max_source_length: int,
) -> list[str]:
    """One batched ``generate`` call: a text per prompt, each sampled with noise from its
    own seed (``None``: a random one), so a text does not depend on the rest of the batch."""
    import torch
    from transformers import LogitsProcessorList

    encoded = tokenizer(
        prompts,
        return_tensors="pt",
        padding=True,
        truncation=True,
        max_length=max_source_length,
    ).to(model.device)
    generators = []
    for seed in seeds:
        generator = torch.Generator()
        generator.manual_seed(seed if seed is not None else secrets.randbits(63))
        generators.append(generator)
    processors = LogitsProcessorList(sampling_processors(options, generators))
    with torch.inference_mode():
        output = model.generate(
            **encoded, **generation_kwargs(options), logits_processor=processors
        )
    texts = tokenizer.batch_decode(output, skip_special_tokens=True)
    return [text.strip() for text in texts]


class RowNoise:
    """Adds Gumbel noise to each row's (warped) scores from that row's own generator.

    The argmax of ``scores + Gumbel noise`` is a sample of ``softmax(scores)`` (the
    Gumbel-max trick), so greedy decoding over these scores samples; and since every row
    draws one vector per step from its own generator, its text does not depend on what
    else is in the batch.
    """

    def __init__(self, generators: list[Any]) -> None:
        self.generators = generators

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        uniform = torch.stack(
            [torch.rand(scores.shape[-1], generator=generator) for generator in self.generators]
        )
        tiny = torch.finfo(uniform.dtype).tiny
        gumbel = -torch.log(-torch.log(uniform.clamp(min=tiny)))
        return scores + gumbel.to(device=scores.device, dtype=scores.dtype)


def generation_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """``generate`` arguments for decoding ``options``; sampling (temperature > 0) is done
    by :func:`sampling_processors`, so ``generate`` itself always decodes greedily."""
    return {
        "max_new_tokens": int(options["max_new_tokens"]),
        "repetition_penalty": float(options["repetition_penalty"]),
        "no_repeat_ngram_size": int(options.get("no_repeat_ngram_size", 0)),
        "do_sample": False,
    }


def sampling_processors(options: dict[str, Any], generators: list[Any]) -> list[Any]:
    """The logits processors that turn greedy decoding into sampling with ``temperature``,
    ``top_k`` (0: off) and ``top_p`` (1: off), one generator per row; none when the
    temperature is 0 or less (greedy decoding)."""
    from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    temperature = float(options["temperature"])
    if temperature <= 0:
        return []
    processors: list[Any] = []
    if temperature != 1.0:
        processors.append(TemperatureLogitsWarper(temperature))
    if int(options["top_k"]) > 0:
        processors.append(TopKLogitsWarper(int(options["top_k"])))
    if float(options["top_p"]) < 1.0:
        processors.append(TopPLogitsWarper(float(options["top_p"])))
    return [*processors, RowNoise(generators)]


def rows_of(
    model_input: Any, prompts: dict[str, dict[str, str]], default_category: str = "general"
) -> list[Row]:
    """The rows of a request with their prompts from the table ``prompts``; an unknown sign
    or category raises ``ValueError`` naming the valid ones."""
    if isinstance(model_input, dict):
        model_input = pd.DataFrame(model_input)
    if not isinstance(model_input, pd.DataFrame):
        if isinstance(model_input, str):
            model_input = [model_input]
        model_input = pd.DataFrame({"sign": list(model_input)})
    if "sign" not in model_input.columns:
        raise ValueError(f"the input needs a 'sign' column; got {list(model_input.columns)}")
    rows = []
    for record in model_input.to_dict("records"):
        sign = str(record["sign"]).strip().lower()
        if sign not in prompts:
            valid = ", ".join(prompts)
            raise ValueError(f"unknown sign {record['sign']!r}; expected one of: {valid}")
        category = record.get("category")
        category = str(category).strip().lower() if _given(category) else default_category
        if category not in prompts[sign]:
            valid = ", ".join(prompts[sign])
            raise ValueError(f"unknown category {record['category']!r}; expected one of: {valid}")
        date = record.get("date")
        seed = record.get("seed")
        rows.append(
            Row(
                sign,
                category,
                _iso_date(date) if _given(date) else None,
                prompts[sign][category],
                int(seed) if _given(seed) else None,
            )
        )
    return rows


def seed_of(row: Row, seed: int) -> int | None:
    """The seed of ``row``'s noise: its own, else one derived from the request's ``seed``
    and the row when ``seed`` is set or the row has a date, else ``None`` (random)."""
    if row.seed is not None:
        return row.seed
    if seed >= 0 or row.date is not None:
        return row_seed(seed, row.sign, row.category, row.date)
    return None


def row_seed(seed: int, sign: str, category: str, date: str | None) -> int:
    key = f"{seed}|{sign}|{category}|{date}".encode()
    return int(hashlib.sha256(key).hexdigest()[:8], 16)


def _given(value: Any) -> bool:
    return value is not None and value != "" and not pd.isna(value)


def _iso_date(value: Any) -> str:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)).isoformat()


mlflow.models.set_model(HoroscopeModel())
