"""One deployment of horogen, assembled once: its settings, its lake and its model store.

The command line, the pipeline's steps (``horogen.pipeline``, what the DAG's tasks and
``horogen demo`` run) and the Spark job all start from a :class:`Deployment` and hand each
stage only its part: the lake, the stage's own settings section and, where models are
involved, the model store. Nothing below this module reads the whole settings tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from horogen import layout
from horogen.config import Settings, load_settings
from horogen.lake import Lake

if TYPE_CHECKING:
    from horogen.model.store import ModelStore
    from horogen.serve.judge import Judge
    from horogen.verdicts import VerdictSource


@dataclass(frozen=True)
class Deployment:
    """Settings, lake and model store of one deployment; each part is built on first use."""

    settings: Settings = field(default_factory=load_settings)

    @classmethod
    def load(cls, *, scenario: str | None = None, **overrides: Any) -> Deployment:
        """The deployment the settings sources describe (``horogen.toml`` or
        ``$HOROGEN_CONFIG`` or ``scenario``, ``HOROGEN_*`` variables, then ``overrides``
        such as command-line options; ``None`` overrides are ignored)."""
        return cls(load_settings(scenario=scenario, **overrides))

    @cached_property
    def lake(self) -> Lake:
        return self.settings.open_lake()

    @cached_property
    def models(self) -> ModelStore:
        """The registry (``[mlflow]``) and this machine's cache of its versions."""
        from horogen.model.store import ModelStore

        cache = layout.models_dir(self.lake, self.settings.generation.cache_dir)
        return ModelStore(self.settings.mlflow, self.lake, cache)

    @cached_property
    def verdicts(self) -> VerdictSource:
        """Readers' verdicts, as the serving database has them (none before anything is
        served)."""
        from horogen.serve.feedback import ServedVerdicts

        return ServedVerdicts(self.settings.serve, self.lake)

    @cached_property
    def judge(self) -> Judge:
        """How serving chooses among a text's candidates (best of k): evaluation's weighted
        score (``[evaluate.weights]``, ``[evaluate.scorers]``) and ``[serve] checks``,
        novelty against each version's training corpus. A check that is no registered
        metric is a ConfigError here."""
        from horogen.evaluate.corpus import VersionCorpora
        from horogen.evaluate.judge import ScoringJudge

        evaluate = self.settings.evaluate
        return ScoringJudge(
            evaluate.scorers,
            evaluate.weights,
            self.settings.serve.checks,
            corpus=VersionCorpora(self.models),
        )

    def with_settings(self, **sections: Any) -> Deployment:
        """This deployment with some settings sections replaced (``collect=…``)."""
        return Deployment(self.settings.model_copy(update=sections))
