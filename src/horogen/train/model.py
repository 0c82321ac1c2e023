"""Where training starts: a hub id, a local directory, a registered version (``champion``,
``challenger``, a version number or a ``models:/`` URI), or ``fresh``.

A hub id, a local directory and a registered version (fetched by
:class:`horogen.model.store.ModelStore`) share one loading path, :func:`load_pretrained`;
``fresh`` builds a small T5 from a config with a SentencePiece tokenizer trained on the
corpus, for machines without hub access.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from horogen.errors import ModelLoadError, ModelNotFound
from horogen.model.store import ALIASES, MODELS_URI, ModelStore
from horogen.train.settings import FreshModelSettings, TrainSettings

FRESH = "fresh"
SPECIAL_TOKENS = ("<pad>", "</s>", "<unk>")
_RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
#: Characters every fresh tokenizer knows, whether or not the corpus has them.
ALPHABET = (
    _RUSSIAN
    + _RUSSIAN.upper()
    + string.ascii_letters
    + string.digits
    + "—–«»…№"
    + (string.punctuation)
)
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_FIX = (
    "Set HOROGEN_TRAIN__BASE (or pass --base) to a Hugging Face hub id, a local directory "
    "with a saved model, 'champion', a version number, a models:/NAME/VERSION URI or 'fresh'."
)


@dataclass
class StartingPoint:
    """A model and tokenizer to train, and where they came from."""

    model: Any
    tokenizer: Any
    #: What the requested base resolved to (``RunRecord.base_model``): ``fresh``, a hub id,
    #: a directory's absolute path or a numbered ``models:/NAME/VERSION`` URI.
    base_model: str


def load_base(
    base: str, config: TrainSettings, models: ModelStore, *, texts: Iterable[str] = ()
) -> StartingPoint:
    """Load the starting point that ``base`` names: ``fresh``, a registered version
    (``champion``, ``challenger``, a number, a ``models:/`` URI), a local directory or a hub
    id (callers pass ``config.base`` or an override).

    ``texts`` train the tokenizer of a ``fresh`` model and are ignored otherwise. Raises
    :class:`ModelLoadError` saying what was tried and what to change.
    """
    if base == FRESH:
        model, tokenizer = build_fresh(texts, config.fresh, seed=config.seed)
        return StartingPoint(model, tokenizer, FRESH)
    if base in ALIASES or base.startswith(MODELS_URI) or base.isdigit():
        try:
            resolved = models.resolve(base)
        except (ModelNotFound, ModelLoadError) as error:
            raise ModelLoadError(f"base model {base!r}: {error}. {_FIX}") from error
        uri = resolved.version.uri if resolved.version else base
        model, tokenizer = load_pretrained(resolved.hf_dir, tried=f"the registered version {uri}")
        return StartingPoint(model, tokenizer, uri)
    path = Path(base).expanduser()
    if path.exists():
        model, tokenizer = load_pretrained(path, tried=f"local directory {path.resolve()}")
        return StartingPoint(model, tokenizer, str(path.resolve()))
    if not _HUB_ID.match(base):
        raise ModelLoadError(f"base model {base!r}: no such directory, and not a hub id. {_FIX}")
    model, tokenizer = load_pretrained(base, tried=f"Hugging Face hub id {base!r}")
    return StartingPoint(model, tokenizer, base)


def load_pretrained(source: str | Path, *, tried: str | None = None) -> tuple[Any, Any]:
    """A seq2seq model and its tokenizer from a hub id or a saved directory."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source))
        model = AutoModelForSeq2SeqLM.from_pretrained(str(source))
    except (OSError, ValueError, KeyError) as error:
        raise ModelLoadError(
            f"could not load a model (tried {tried or source}): {_first_line(error)}. {_FIX}"
        ) from error
    return model, tokenizer


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> Any:
    """A SentencePiece-style BPE tokenizer trained on ``texts``, wrapped for T5.

    BPE merges a closed corpus's frequent words into single pieces (about 60 tokens for a
    400-character horoscope with 4000 pieces, against 150 for a Unigram model of the same
    size, which splits words into syllables): shorter sequences train faster, and a model
    that writes whole words cannot make words up from pieces. Pieces are capped at
    ``vocab_size``; :data:`ALPHABET` is always covered, so Cyrillic the corpus lacks still
    round-trips.
    """
    from tokenizers import SentencePieceBPETokenizer
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    pad, eos, unk = SPECIAL_TOKENS
    trained = SentencePieceBPETokenizer(unk_token=unk)
    trained.train_from_iterator(
        texts,
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=list(ALPHABET),
        show_progress=False,
    )
    # T5's input convention: every sequence ends with </s>. (T5TokenizerFast itself cannot
    # reload a BPE model: transformers 5 rebuilds it as a Unigram one.)
    tokenizer = trained._tokenizer  # the tokenizers.Tokenizer inside the implementation
    tokenizer.post_processor = TemplateProcessing(
        single=f"$A {eos}",
        pair=f"$A {eos} $B {eos}",
        special_tokens=[(eos, trained.token_to_id(eos))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token=pad, eos_token=eos, unk_token=unk
    )


def build_fresh(texts: Iterable[str], fresh: FreshModelSettings, *, seed: int) -> tuple[Any, Any]:
    """A small randomly initialized T5 and a tokenizer trained on ``texts``."""
    from transformers import T5Config, T5ForConditionalGeneration, set_seed

    texts = list(texts)
    if not texts:
        raise ModelLoadError("a fresh model needs training texts for its tokenizer")
    tokenizer = train_tokenizer(texts, fresh.vocab_size)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=fresh.d_model,
        d_kv=fresh.d_model // fresh.num_heads,
        d_ff=fresh.d_ff,
        num_layers=fresh.num_layers,
        num_decoder_layers=fresh.num_layers,
        num_heads=fresh.num_heads,
        dropout_rate=fresh.dropout,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    set_seed(seed)
    return T5ForConditionalGeneration(config), tokenizer


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__
