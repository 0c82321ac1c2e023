"""The logged model: an MLflow pyfunc logged as code ("models from code").

MLflow stores this file with every version and runs it when the version is loaded, so it
imports only mlflow, pandas, torch, transformers and pymorphy3, never horogen: a version
loads and generates wherever those are installed, and keeps the prompts and slots it was
trained with even after horogen changes its format. What it needs is frozen into the
version's ``model_config`` when it is logged (``horogen.model.packaging.model_config``):

    prompt             the prompt recipe: a template over {sign} {category} {weekday} {day}
                       {month} and the words for each (signs, categories, weekdays, months)
    slots              what fills the slots of a generated text: each sign's, weekday's and
                       month's lemma, inflected by pymorphy3 into the slot's case and number
    default_category   the category of a row that names none
    generation         decoding defaults: top_p, temperature, top_k, no_repeat_ngram_size,
                       repetition_penalty, max_new_tokens, seed
    max_source_length  prompt tokens kept

and the Hugging Face directory is the artifact ``hf_model``. Versions logged before the
prompt carried a date froze a table instead, ``prompts`` ({sign slug: {category: prompt}}),
and no ``slots``: :func:`prompt_of` and :func:`fill_slots` still read them.

A generated text holds slots where the training texts named their own sign and date:
``<sign:datv:plur>`` (the sign in the dative plural: "Львам"), ``<weekday:accs:sing>``
("в среду"), ``<day>`` ("2") and ``<month:gent>`` ("декабря"). :func:`fill_slots` fills each
from the row's sign and date; a slot it cannot fill stays in the text, where the
consistency check finds it.

    model = mlflow.pyfunc.load_model("models:/horogen/3")
    model.predict(["aries", "leo"])
    model.predict(pd.DataFrame({"sign": ["aries"], "category": ["love"], "date": ["2026-11-25"]}),
                  params={"top_p": 0.95, "seed": 7})

A row without a date is written for today (its prompt and slots name today), and, like
before, is random unless seeded. A row is
decoded with its own ``seed`` column when the input has one, else with a seed
derived from ``seed``, its sign, category and date whenever ``seed`` is set (≥ 0) or the
row has a date, so the same request gives the same text. Rows are generated in batches;
each row draws its sampling noise from its own generator, so its text does not depend on
the other rows of the request, and the process-wide torch RNG is left alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import cache
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


#: A slot a generated text may hold: a kind and its grammemes (``<sign:datv:plur>``).
SLOT = re.compile(r"<([a-z]+)((?::[a-z0-9]+)*)>")
#: The cases and numbers a slot may name (pymorphy3's grammemes).
SLOT_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
SLOT_NUMBERS = ("sing", "plur")


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
        rows = rows_of(model_input, self.config)
        texts: list[str] = []
        for start in range(0, len(rows), BATCH_SIZE):
            texts += self.generate(rows[start : start + BATCH_SIZE], options)
        slots = self.config.get("slots")
        return [
            fill_slots(text, row.sign, row.date, slots)
            for row, text in zip(rows, texts, strict=True)
        ]

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


def rows_of(model_input: Any, config: dict[str, Any]) -> list[Row]:
    """The rows of a request with their prompts from the version's ``config``; an unknown
    sign or category raises ``ValueError`` naming the valid ones. A row without a date is
    prompted (and its slots filled) with today's."""
    if isinstance(model_input, dict):
        model_input = pd.DataFrame(model_input)
    if not isinstance(model_input, pd.DataFrame):
        if isinstance(model_input, str):
            model_input = [model_input]
        model_input = pd.DataFrame({"sign": list(model_input)})
    if "sign" not in model_input.columns:
        raise ValueError(f"the input needs a 'sign' column; got {list(model_input.columns)}")
    known = known_requests(config)
    default_category = config.get("default_category", "general")
    rows = []
    for record in model_input.to_dict("records"):
        sign = str(record["sign"]).strip().lower()
        if sign not in known:
            valid = ", ".join(known)
            raise ValueError(f"unknown sign {record['sign']!r}; expected one of: {valid}")
        category = record.get("category")
        category = str(category).strip().lower() if _given(category) else default_category
        if category not in known[sign]:
            valid = ", ".join(known[sign])
            raise ValueError(f"unknown category {record['category']!r}; expected one of: {valid}")
        date = record.get("date")
        day = _iso_date(date) if _given(date) else None
        seed = record.get("seed")
        rows.append(
            Row(
                sign,
                category,
                day,
                prompt_of(config, sign, category, day),
                int(seed) if _given(seed) else None,
            )
        )
    return rows


def known_requests(config: dict[str, Any]) -> dict[str, list[str]]:
    """``{sign slug: [category, …]}``: what the version can be asked for."""
    if "prompt" in config:
        recipe = config["prompt"]
        return {sign: list(recipe["categories"]) for sign in recipe["signs"]}
    return {sign: list(table) for sign, table in config["prompts"].items()}


def prompt_of(config: dict[str, Any], sign: str, category: str, date: str | None) -> str:
    """The prompt the version was trained with for ``sign``, ``category`` and ``date``
    (ISO; a version whose prompt names no date ignores it)."""
    if "prompt" not in config:
        return config["prompts"][sign][category]
    recipe = config["prompt"]
    day = dt.date.fromisoformat(date) if date else dt.date.today()
    return recipe["template"].format(
        sign=recipe["signs"][sign],
        category=recipe["categories"][category],
        weekday=recipe["weekdays"][str(day.weekday())],
        day=day.day,
        month=recipe["months"][str(day.month)],
    )


def fill_slots(text: str, sign: str, date: str | None, slots: dict[str, Any] | None) -> str:
    """``text`` with each slot replaced by ``sign``'s or ``date``'s word, inflected as the
    slot says; a slot that cannot be filled (an unknown kind or grammeme) stays as it is.
    Without ``slots`` (a version trained without them) the text is returned unchanged."""
    if not slots or "<" not in text:
        return text
    day = dt.date.fromisoformat(date) if date else dt.date.today()
    done, last = "", 0
    for match in SLOT.finditer(text):
        before = done + text[last : match.start()]
        grammemes = tuple(part for part in match[2].split(":") if part)
        word = _slot_word(match[1], grammemes, sign, day, slots)
        last = match.end()
        if word is None:
            done = before + match[0]
            continue
        before = _preposition(before, word)
        if not before.strip() or before.rstrip()[-1] in ".!?…":
            word = word[:1].upper() + word[1:]
        done = before + word
    return _tidy(done + text[last:])


def _slot_word(
    kind: str, grammemes: tuple[str, ...], sign: str, day: dt.date, slots: dict[str, Any]
) -> str | None:
    if kind == "day":
        return str(day.day) if not grammemes else None
    cases = [g for g in grammemes if g in SLOT_CASES]
    numbers = [g for g in grammemes if g in SLOT_NUMBERS]
    if len(cases) != 1 or len(numbers) > 1 or len(cases) + len(numbers) != len(grammemes):
        return None
    number = numbers[0] if numbers else "sing"
    if kind == "sign":
        if sign in slots.get("plural_only", ()):
            number = "plur"
        word = _inflect(slots["signs"][sign], cases[0], number, animate=True)
        return word[:1].upper() + word[1:] if word else None
    if kind == "weekday":
        return _inflect(slots["weekdays"][str(day.weekday())], cases[0], number, animate=False)
    if kind == "month":
        return _inflect(slots["months"][str(day.month)], cases[0], "sing", animate=False)
    return None


@cache
def _analyzer() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def _inflect(lemma: str, case: str, number: str, *, animate: bool) -> str | None:
    """``lemma`` (a noun) in ``case`` and ``number``, by pymorphy3; ``None`` if it has none."""
    parses = [p for p in _analyzer().parse(lemma) if p.normal_form == lemma and "NOUN" in p.tag]
    if animate:
        parses.sort(key=lambda p: "anim" not in p.tag)
    if not parses:
        return None
    form = parses[0].inflect({case, number}) or parses[0].inflect({case})
    return form.word if form else None


#: "в", "с", "к" before a filled word, and the word's start that asks for "во", "со", "ко".
_PREPOSITION = re.compile(r"(^|[^А-Яа-яЁё])([ВвСсКк])[оО]?(\s+)$")
_FULL_FORM = {
    "в": re.compile(r"^[вф][^аеёиоуыэюя]", re.IGNORECASE),
    "с": re.compile(r"^([сзшж][^аеёиоуыэюя]|вт)", re.IGNORECASE),
    "к": re.compile(r"^(вт|мн)", re.IGNORECASE),
}


def _preposition(before: str, word: str) -> str:
    """``before`` with a preposition at its end agreeing with ``word``: "во вторник",
    "в среду", "со среды", "с понедельника", "ко вторнику"."""
    match = _PREPOSITION.search(before)
    if not match:
        return before
    letter = match[2]
    full = _FULL_FORM[letter.lower()].match(word) is not None
    return before[: match.start(2)] + letter + ("о" if full else "") + match[3]


def _tidy(text: str) -> str:
    """No space before closing punctuation or after opening (a slot token decodes with
    spaces round it), single spaces."""
    text = re.sub(r"\s+([,.!?:;…)»])", r"\1", text)
    text = re.sub(r"([(«])\s+", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


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
