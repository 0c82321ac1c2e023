"""The transformers backend: batched ``generate`` with per-row noise (see
:func:`horogen.model.pyfunc.generate_texts`, the code every logged version runs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from horogen.errors import ModelLoadError
from horogen.model.batching import batches
from horogen.model.pyfunc import generate_texts
from horogen.model.settings import GenerationSettings
from horogen.model.store import ResolvedModel
from horogen.model.strategy import Strategy


class TransformersBackend:
    name = "transformers"

    def __init__(self, model: ResolvedModel, settings: GenerationSettings) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        if settings.intra_threads:
            torch.set_num_threads(settings.intra_threads)
        device = "cuda" if settings.device != "cpu" and torch.cuda.is_available() else "cpu"
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(model.hf_dir))
            self.model = AutoModelForSeq2SeqLM.from_pretrained(str(model.hf_dir)).to(device)
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"could not load {model.label}: {error}") from error
        self.model.eval()
        self.max_source_length = model.max_source_length
        self.batch_size = settings.batch_size

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], strategy: Strategy
    ) -> list[str]:
        options: dict[str, Any] = strategy.model_dump()
        texts: list[str] = []
        for rows in batches(len(prompts), self.batch_size):
            texts += generate_texts(
                self.model,
                self.tokenizer,
                [prompts[i] for i in rows],
                [seeds[i] for i in rows],
                options,
                max_source_length=self.max_source_length,
            )
        return texts
