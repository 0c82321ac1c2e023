"""``horogen stack``: the production topology as real processes on 127.0.0.1.

PostgreSQL databases (Airflow, MLflow, the serving cache) on an existing server, a Redis
database as Celery's broker, moto's S3 server for MLflow's artifacts, an MLflow server with
two workers, a Spark standalone master with two workers, Airflow 3 (api-server, scheduler,
dag-processor, one Celery worker), the sites' mirror and two ``horogen serve`` replicas.

One module per kind of service, each starting its processes through :mod:`.processes`;
:mod:`.run` brings them up in order and down again, and :mod:`.manifest` is what it writes
(``DIR/stack.json``). Nothing here is a pipeline stage: the stack runs the same DAG, steps
and commands as production, only on one machine.
"""

from pathlib import Path

DEFAULT_DIR = Path("horogen-stack")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
