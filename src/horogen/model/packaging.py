"""What a logged version holds: the Hugging Face directory, the code of
:mod:`horogen.model.pyfunc` (which never imports horogen) and its ``model_config``; and how
it is logged into a run.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from horogen.model.prompts import prompt_recipe
from horogen.model.pyfunc import HF_ARTIFACT, INPUT_EXAMPLE
from horogen.model.slots import slot_recipe
from horogen.model.strategy import Strategy
from horogen.schema import Category

if TYPE_CHECKING:
    from mlflow import MlflowClient

#: The logged model's name within its run.
MODEL_NAME = "model"
#: The file MLflow logs as the model's code ("models from code"); it never imports horogen.
MODEL_CODE = Path(__file__).with_name("pyfunc.py")
#: The training run's table of held-back validation texts (sign, category, text): what
#: evaluation scores as the reference for generated texts.
VALIDATION_TABLE = "data/validation.json"
#: Distributions the logged model needs, pinned to this environment's versions.
MODEL_REQUIREMENTS = (
    *("mlflow", "torch", "transformers", "tokenizers", "sentencepiece", "pandas"),
    *("pymorphy3", "pymorphy3-dicts-ru"),
)


def model_config(strategy: Strategy, max_source_length: int) -> dict[str, Any]:
    """What the logged model needs besides its weights (see ``pyfunc.py``): the prompt
    recipe and the slots' words, frozen into the version, the decoding defaults and the
    prompt length.

    MLflow also logs a ``model_config`` as run params (``prompt/template``, …)."""
    return {
        "prompt": prompt_recipe(),
        "slots": slot_recipe(),
        "default_category": Category.GENERAL.value,
        "generation": {"seed": -1, **strategy.model_dump()},
        "max_source_length": max_source_length,
    }


def model_requirements() -> list[str]:
    """Pip requirements of the logged model: what ``pyfunc.py`` imports, at this
    environment's versions (without local tags such as ``+cpu``)."""
    requirements = []
    for name in MODEL_REQUIREMENTS:
        try:
            version = importlib.metadata.version(name).split("+")[0]
        except importlib.metadata.PackageNotFoundError:
            requirements.append(name)
        else:
            requirements.append(f"{name}=={version}")
    return requirements


def log_model(hf_dir: str | Path, strategy: Strategy, max_source_length: int) -> Any:
    """Log the Hugging Face directory ``hf_dir`` as the pyfunc model of ``pyfunc.py`` into
    the active run (unregistered); its ``ModelInfo``.

    The input schema is left open so that both a list of slugs and a DataFrame pass
    MLflow's enforcement; the input example shows the DataFrame form.
    """
    import mlflow
    from mlflow.models import infer_signature

    config = model_config(strategy, max_source_length)
    example_output = ["Сегодня звёзды советуют Овну не спешить с решениями."]
    return mlflow.pyfunc.log_model(
        name=MODEL_NAME,
        python_model=str(MODEL_CODE),
        artifacts={HF_ARTIFACT: str(hf_dir)},
        model_config=config,
        signature=infer_signature(None, example_output, params=config["generation"]),
        input_example=INPUT_EXAMPLE,
        # Listed rather than inferred: inference would load the model in a subprocess.
        pip_requirements=model_requirements(),
    )


def logged_model_uri(client: MlflowClient, run_id: str) -> str | None:
    """The ``models:/`` URI of a complete model that run ``run_id`` logged already."""
    from mlflow.entities import LoggedModelStatus

    outputs = client.get_run(run_id).outputs
    for output in reversed(outputs.model_outputs if outputs else []):
        model = client.get_logged_model(output.model_id)
        if model.name == MODEL_NAME and model.status == LoggedModelStatus.READY:
            return model.model_uri
    return None
