"""Which of a classifier's labels means what, read from its ``config.id2label``."""

from __future__ import annotations

from collections.abc import Mapping

from horogen.errors import ConfigError
from horogen.evaluate.scorers.hub import setting_name

#: What transformers calls the labels of a config that names none.
GENERIC_BINARY = {0: "LABEL_0", 1: "LABEL_1"}


def acceptable_index(id2label: Mapping[int, str], configured: str | None) -> int:
    """The class that means acceptable: the configured label, else a label named
    ``acceptable``, else LABEL_1 of a two-label config with generic names (RuCoLA, like
    CoLA, labels acceptable sentences 1; RussianNLP/ruRoBERTa-large-rucola's config.json
    has no id2label, so transformers names its classes LABEL_0 and LABEL_1)."""
    if configured is not None:
        return _find(id2label, configured, "acceptability", "acceptable_label")
    named = [index for index, label in id2label.items() if label.lower() == "acceptable"]
    if len(named) == 1:
        return named[0]
    if dict(id2label) == GENERIC_BINARY:
        return 1
    raise ConfigError(
        f"cannot tell which of the acceptability model's labels {_listed(id2label)} means "
        f"acceptable: set {setting_name('acceptability', 'acceptable_label')} to one of them"
    )


def negative_index(id2label: Mapping[int, str], configured: str) -> int:
    """The class that means negative: the configured label, in any case."""
    return _find(id2label, configured, "sentiment", "negative_label")


def _find(id2label: Mapping[int, str], wanted: str, metric: str, setting: str) -> int:
    matches = [index for index, label in id2label.items() if label.lower() == wanted.lower()]
    if len(matches) != 1:
        raise ConfigError(
            f"the {metric} model has no label {wanted!r} (its labels: {_listed(id2label)}): "
            f"set {setting_name(metric, setting)} to one of them"
        )
    return matches[0]


def _listed(id2label: Mapping[int, str]) -> str:
    return ", ".join(f"{index}={label}" for index, label in sorted(id2label.items()))
