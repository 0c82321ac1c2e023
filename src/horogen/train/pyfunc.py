"""The logged model: an MLflow pyfunc that carries the Hugging Face directory and builds its
own prompts, so anyone with the tracking URI can use a version without knowing them.

    model = mlflow.pyfunc.load_model("models:/horogen/3")
    model.predict(["aries", "leo"])
    model.predict(pd.DataFrame({"sign": ["aries"], "category": ["love"], "date": ["2026-11-25"]}),
                  params={"top_p": 0.95, "seed": 7})

A row is decoded with a seed derived from ``seed``, its sign, category and date whenever
``seed`` is set or the row has a date, so the same request gives the same text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

import mlflow.pyfunc
import pandas as pd

from horogen.train.prompts import build_prompt, parse_category

if TYPE_CHECKING:
    from horogen.train.settings import TrainSettings

#: Name of the Hugging Face directory among the model's artifacts.
HF_ARTIFACT = "hf_model"
#: A request's input example (also what the input schema would say, were it enforced).
INPUT_EXAMPLE = pd.DataFrame({"sign": ["aries"], "category": ["love"], "date": ["2026-01-01"]})


class HoroscopeModel(mlflow.pyfunc.PythonModel):
    """Generates one text per input row: a sign, an optional category and date."""

    def __init__(self, defaults: dict[str, Any], max_source_length: int = 32) -> None:
        #: Decoding parameters (top_p, temperature, top_k, repetition_penalty,
        #: max_new_tokens, seed) used where a request's ``params`` do not say.
        self.defaults = defaults
        self.max_source_length = max_source_length
        self.model: Any = None
        self.tokenizer: Any = None

    def load_context(self, context: Any) -> None:
        self.load(context.artifacts[HF_ARTIFACT])

    def load(self, directory: str) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(directory)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(directory).eval()

    # No annotations: MLflow would read them as a schema to enforce on requests.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        """Texts for ``model_input``: a list of sign slugs, or a DataFrame with a ``sign``
        column and optional ``category`` and ``date`` columns."""
        import torch

        options = {**self.defaults, **(params or {})}
        texts = []
        for sign, category, date in rows_of(model_input):
            prompt = build_prompt(sign, category)
            if options["seed"] >= 0 or date:
                torch.manual_seed(row_seed(options["seed"], sign, category, date))
            encoded = self.tokenizer(
                prompt, return_tensors="pt", truncation=True, max_length=self.max_source_length
            )
            with torch.inference_mode():
                output = self.model.generate(**encoded, **generation_kwargs(options))
            texts.append(self.tokenizer.decode(output[0], skip_special_tokens=True).strip())
        return texts


def log_pyfunc(
    hf_dir: str, settings: TrainSettings, *, registered_model_name: str | None = None
) -> Any:
    """Log the Hugging Face directory ``hf_dir`` as this pyfunc model into the active run
    (and register it as a new version of ``registered_model_name``); its ``ModelInfo``.

    The input schema is left open so that both a list of slugs and a DataFrame pass
    MLflow's enforcement; the input example shows the DataFrame form.
    """
    import tokenizers
    import torch
    import transformers
    from mlflow.models import infer_signature

    defaults = {"seed": -1, **settings.generation.model_dump()}
    example_output = ["Сегодня звёзды советуют Овну не спешить с решениями."]
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=HoroscopeModel(defaults, settings.max_source_length),
        artifacts={HF_ARTIFACT: hf_dir},
        signature=infer_signature(None, example_output, params=defaults),
        input_example=INPUT_EXAMPLE,
        registered_model_name=registered_model_name,
        # Listed rather than inferred: inference loads the model in a subprocess. The
        # prompt builder comes from the horogen package, which must be importable too.
        pip_requirements=[
            f"mlflow=={mlflow.__version__}",
            f"torch=={torch.__version__.split('+')[0]}",
            f"transformers=={transformers.__version__}",
            f"tokenizers=={tokenizers.__version__}",
            "sentencepiece",
            "pandas",
        ],
    )


def rows_of(model_input: Any) -> list[tuple[str, str, str | None]]:
    """(sign, category, ISO date or ``None``) per row of a request; bad values raise
    ``ValueError`` naming the valid ones."""
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
        category = record.get("category")
        date = record.get("date")
        rows.append(
            (
                str(record["sign"]),
                parse_category(category).value if _given(category) else "general",
                _iso_date(date) if _given(date) else None,
            )
        )
    return rows


def row_seed(seed: int, sign: str, category: str, date: str | None) -> int:
    key = f"{seed}|{sign}|{category}|{date}".encode()
    return int(hashlib.sha256(key).hexdigest()[:8], 16)


def generation_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """``generate`` arguments for decoding options; temperature ≤ 0 means greedy."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": int(options["max_new_tokens"]),
        "repetition_penalty": float(options["repetition_penalty"]),
    }
    if float(options["temperature"]) <= 0:
        return kwargs | {"do_sample": False}
    return kwargs | {
        "do_sample": True,
        "top_p": float(options["top_p"]),
        "top_k": int(options["top_k"]),
        "temperature": float(options["temperature"]),
    }


def _given(value: Any) -> bool:
    return value is not None and value != "" and not pd.isna(value)


def _iso_date(value: Any) -> str:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)).isoformat()
