"""Models as the rest of horogen sees them: what a registered version is and how to get one.

- :mod:`~horogen.model.store`: which model a reference (``champion``, ``3``,
  ``models:/horogen@challenger``, a directory) means, fetched into a local cache;
- :mod:`~horogen.model.registry`: versions, aliases (``champion``, ``challenger``), tags;
- :mod:`~horogen.model.tracking`: where MLflow runs;
- :mod:`~horogen.model.packaging` and :mod:`~horogen.model.pyfunc`: the logged model;
- :mod:`~horogen.model.prompts`: the model's input;
- :mod:`~horogen.model.generate` and :mod:`~horogen.model.backends`: texts from a model,
  with the ``transformers`` or ``ctranslate2`` backend.

Evaluation, serving and the pipeline import this package, never :mod:`horogen.train`.
The heavy modules (mlflow, torch) load only when imported; this one stays light.
"""

from horogen.model.settings import Backend, GenerationSettings, MlflowSettings
from horogen.model.strategy import Strategy

__all__ = ["Backend", "GenerationSettings", "MlflowSettings", "Strategy"]
