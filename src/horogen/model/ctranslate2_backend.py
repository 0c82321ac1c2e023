"""The CTranslate2 backend: the version converted once (int8 by default) and cached beside
it, then decoded by CTranslate2's own batched sampler.

CTranslate2 (4.x) samples from one random generator per worker thread, seeded from the
process-wide seed the first time that thread samples; it has no per-row seed and no hook
into the logits. So each call gets a translator whose worker has never sampled, and the
seed is set (under a lock) right before the call: a call's texts depend on its rows and
their seeds alone, never on what ran before in the process. The next translator is built
in the background while the current call decodes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from horogen import atomic
from horogen.errors import ModelLoadError
from horogen.model.batching import batches
from horogen.model.settings import GenerationSettings
from horogen.model.store import ResolvedModel
from horogen.model.strategy import Strategy

log = logging.getLogger(__name__)

#: Held from setting CTranslate2's process-wide seed until the call that reads it is done.
_SEED_LOCK = threading.Lock()


class CTranslate2Backend:
    name = "ctranslate2"

    def __init__(self, model: ResolvedModel, settings: GenerationSettings) -> None:
        from transformers import AutoTokenizer

        self.directory = convert(
            model.hf_dir, model.cache_dir / f"ctranslate2-{settings.quantization}", settings
        )
        self.tokenizer = AutoTokenizer.from_pretrained(str(model.hf_dir))
        self.max_source_length = model.max_source_length
        self.batch_size = settings.batch_size
        self._translator_options = {
            "device": settings.device,
            "intra_threads": settings.intra_threads,
        }
        self._builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ct2-translator")
        self._next: Future[Any] = self._builder.submit(self._translator)

    def _translator(self) -> Any:
        import ctranslate2

        return ctranslate2.Translator(str(self.directory), **self._translator_options)

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], strategy: Strategy
    ) -> list[str]:
        texts: list[str] = []
        for rows in batches(len(prompts), self.batch_size):
            texts += self._call([prompts[i] for i in rows], [seeds[i] for i in rows], strategy)
        return texts

    def _call(self, prompts: list[str], seeds: list[int], strategy: Strategy) -> list[str]:
        import ctranslate2

        encoded = self.tokenizer(prompts, truncation=True, max_length=self.max_source_length)
        source = [self.tokenizer.convert_ids_to_tokens(ids) for ids in encoded["input_ids"]]
        with _SEED_LOCK:
            translator = self._next.result()
            self._next = self._builder.submit(self._translator)
            ctranslate2.set_random_seed(call_seed(seeds))
            results = translator.translate_batch(source, **translate_options(strategy))
        return [
            self.tokenizer.decode(
                self.tokenizer.convert_tokens_to_ids(result.hypotheses[0]),
                skip_special_tokens=True,
            ).strip()
            for result in results
        ]

    def close(self) -> None:
        self._builder.shutdown(wait=True, cancel_futures=True)


def translate_options(strategy: Strategy) -> dict[str, Any]:
    """``translate_batch`` arguments for ``strategy``: greedy when the temperature is 0,
    else sampling (``sampling_topk`` 0 is the whole vocabulary)."""
    options: dict[str, Any] = {
        "beam_size": 1,
        "max_decoding_length": strategy.max_new_tokens,
        "repetition_penalty": strategy.repetition_penalty,
        "no_repeat_ngram_size": strategy.no_repeat_ngram_size,
    }
    if strategy.greedy:
        return options | {"sampling_topk": 1}
    return options | {
        "sampling_topk": strategy.top_k,
        "sampling_topp": strategy.top_p,
        "sampling_temperature": strategy.temperature,
    }


def call_seed(seeds: Sequence[int]) -> int:
    """One 32-bit seed for a call, from the seeds of its rows in order."""
    digest = hashlib.sha256(",".join(map(str, seeds)).encode()).hexdigest()
    return int(digest[:8], 16)


def convert(hf_dir: Path, target: Path, settings: GenerationSettings) -> Path:
    """``target``: the CTranslate2 conversion of ``hf_dir``, made once and written whole,
    so a killed conversion leaves no half copy."""
    if (target / "model.bin").is_file():
        return target
    from ctranslate2.converters import TransformersConverter

    log.info("converting the model to CTranslate2 (%s), once: %s", settings.quantization, target)
    try:
        with atomic.new_directory(target) as partial:
            TransformersConverter(str(hf_dir)).convert(
                str(partial), quantization=settings.quantization, force=True
            )
    except (OSError, ValueError, RuntimeError) as error:
        raise ModelLoadError(
            f"could not convert {hf_dir} to CTranslate2 ({settings.quantization}): {error}. "
            "Set HOROGEN_GENERATION__QUANTIZATION (int8, int8_float32, float32) or use "
            "--backend transformers"
        ) from error
    return target
