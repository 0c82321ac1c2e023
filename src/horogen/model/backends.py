"""Generation backends: one interface, two engines.

A backend turns prompts into texts with a :class:`~horogen.model.strategy.Strategy`, one
seed per prompt, in batches of ``generation.batch_size``:

- ``transformers``: ``model.generate`` in torch. Every text draws its sampling noise from
  its own seed, so it depends only on its prompt and seed, never on the rest of the batch
  or the batch size.
- ``ctranslate2``: the model converted once to CTranslate2 (int8 by default), several
  times faster on a CPU. Its sampler is CTranslate2's own: one random stream per call,
  seeded from the call's seeds, so a text depends on its prompt, its seed *and* the other
  rows of its batch (with ``batch_size`` 1, on its own seed only). Its texts differ from
  the transformers backend's for the same seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from horogen.errors import ConfigError
from horogen.model.settings import Backend, GenerationSettings
from horogen.model.store import ResolvedModel
from horogen.model.strategy import Strategy


class TextBackend(Protocol):
    """What every backend does."""

    #: ``transformers`` or ``ctranslate2``.
    name: str
    #: The model's Hugging Face tokenizer (what counts a text's tokens).
    tokenizer: Any

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], strategy: Strategy
    ) -> list[str]:
        """A text per prompt, sampled with its seed, in batches."""
        ...


def load_backend(model: ResolvedModel, settings: GenerationSettings) -> TextBackend:
    """The backend ``settings.backend`` names, loaded with ``model``."""
    if settings.backend == Backend.CTRANSLATE2:
        try:
            import ctranslate2  # noqa: F401
        except ImportError:
            raise ConfigError(
                "the ctranslate2 backend needs the ctranslate2 package: "
                "pip install 'horogen[ctranslate2]', or use --backend transformers "
                "(HOROGEN_GENERATION__BACKEND=transformers)"
            ) from None
        from horogen.model.ctranslate2_backend import CTranslate2Backend

        return CTranslate2Backend(model, settings)
    from horogen.model.transformers_backend import TransformersBackend

    return TransformersBackend(model, settings)
