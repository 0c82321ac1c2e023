"""Tiny stand-ins for the scorers' hub models, built from a config and saved to a local
directory: the real loading code runs on them without a download. Their tokenizers are
trained here on a few sentences. They prove loading, label mapping and batching, not
quality."""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from tokenizers.trainers import BpeTrainer, WordPieceTrainer
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    BertTokenizerFast,
    RobertaConfig,
    RobertaForSequenceClassification,
    RobertaTokenizerFast,
)

SENTENCES = [
    "Сегодня звёзды благоволят вам, Овен.",
    "Не бойтесь перемен: они откроют новые возможности.",
    "День будет тяжёлым, возможны ссоры и обиды.",
    "Удача на вашей стороне, действуйте смело!",
    "Вечером лучше отдохнуть и набраться сил.",
    "Финансовые вопросы лучше отложить до четверга.",
]
#: Real models' id2label: seara/rubert-base-cased-russian-sentiment's config.json. The
#: RuCoLA model's config.json has none (transformers then says LABEL_0, LABEL_1).
RUBERT_SENTIMENT_LABELS = {0: "neutral", 1: "positive", 2: "negative"}
SMALL = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}


def wordpiece_tokenizer() -> BertTokenizerFast:
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = WordPieceTrainer(vocab_size=300, special_tokens=special)
    tokenizer.train_from_iterator(SENTENCES, trainer)
    return BertTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )


def bpe_tokenizer() -> RobertaTokenizerFast:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=400,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(SENTENCES, trainer)
    tokenizer.post_processor = processors.RobertaProcessing(
        ("</s>", tokenizer.token_to_id("</s>")), ("<s>", tokenizer.token_to_id("<s>"))
    )
    return RobertaTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    )


def _favour(head: torch.nn.Linear, favoured: int | None) -> None:
    """Make every text land in class ``favoured`` (None: leave the head input-dependent)."""
    if favoured is None:
        return
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-5.0)
        head.bias[favoured] = 5.0


def bert_classifier(
    path: Path, id2label: dict[int, str], *, favoured: int | None = None, seed: int = 0
) -> Path:
    """A BertForSequenceClassification like the sentiment model, with its tokenizer."""
    tokenizer = wordpiece_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer),
        intermediate_size=32,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        id2label=id2label,
        label2id={label: index for index, label in id2label.items()},
        initializer_range=0.5,  # big weights: texts get visibly different outputs
        **SMALL,
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    _favour(model.classifier, favoured)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def roberta_classifier(
    path: Path, id2label: dict[int, str] | None = None, *, favoured: int | None = None
) -> Path:
    """A RobertaForSequenceClassification like the RuCoLA model: two classes and, by
    default, no names for them in its config."""
    tokenizer = bpe_tokenizer()
    labels = {"id2label": id2label} if id2label else {"num_labels": 2}
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        intermediate_size=32,
        max_position_embeddings=514,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_range=0.5,
        **labels,
        **SMALL,
    )
    torch.manual_seed(0)
    model = RobertaForSequenceClassification(config)
    _favour(model.classifier.out_proj, favoured)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def sentence_encoder(path: Path) -> Path:
    """A sentence-transformers directory laid out like LaBSE's: a BERT, CLS pooling and
    normalization."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    tokenizer = wordpiece_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer),
        intermediate_size=32,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=0.5,
        **SMALL,
    )
    torch.manual_seed(0)
    base = path.parent / f"{path.name}-base"
    BertModel(config).save_pretrained(base)
    tokenizer.save_pretrained(base)
    modules = [
        Transformer(str(base)),
        Pooling(SMALL["hidden_size"], pooling_mode="cls"),
        Normalize(),
    ]
    SentenceTransformer(modules=modules, device="cpu").save(str(path))
    return path
