"""The strategies an evaluation compares: from ``[evaluate.grid]`` or a grid file."""

from __future__ import annotations

import json
import tomllib
from itertools import product
from pathlib import Path

from pydantic import ValidationError

from horogen.errors import ConfigError
from horogen.evaluate.settings import GridSettings
from horogen.model.strategy import Strategy


def strategies(grid: GridSettings, max_new_tokens: int) -> list[Strategy]:
    """``grid.pairs`` then every ``top_p`` × ``temperature``, without repeats, each with
    the grid's shared top_k, no_repeat_ngram_size and repetition penalty."""
    pairs = [*grid.pairs, *product(grid.top_p, grid.temperature)]
    shared = {
        "top_k": grid.top_k,
        "no_repeat_ngram_size": grid.no_repeat_ngram_size,
        "repetition_penalty": grid.repetition_penalty,
        "max_new_tokens": grid.max_new_tokens or max_new_tokens,
    }
    unique = dict.fromkeys((float(p), float(t)) for p, t in pairs)
    return [Strategy(top_p=p, temperature=t, **shared) for p, t in unique]


def load_grid(path: Path) -> GridSettings:
    """A grid file: TOML or JSON with the fields of ``[evaluate.grid]``."""
    try:
        text = path.read_text("utf-8")
        values = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        return GridSettings.model_validate(values.get("grid", values))
    except OSError as error:
        raise ConfigError(f"cannot read the grid file {path}: {error.strerror}") from None
    except ValidationError as error:  # before ValueError, which it subclasses
        raise ConfigError(f"{path}: invalid grid:\n{error}") from None
    except (ValueError, tomllib.TOMLDecodeError) as error:  # JSON and TOML syntax
        raise ConfigError(f"{path} is not a valid grid file: {error}") from None
