"""Starting, watching and stopping the stack's processes.

Each service is one process started in a session of its own (so it outlives
``horogen stack up`` and its children form one process group), its output appended to
``DIR/logs/<name>.log``. A :class:`ProcessRecord` remembers the process by its id and its
start time, so stopping never touches a process that merely reuses an old id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil
from pydantic import BaseModel

from horogen.errors import HorogenError

#: Lines of a service's log shown when it fails.
TAIL_LINES = 25


class ServiceFailed(HorogenError):
    """A service of the stack exited or did not become healthy in time: the message names
    it and its log; ``tail`` holds the log's last lines."""

    def __init__(self, message: str, tail: str = "") -> None:
        super().__init__(message)
        self.tail = tail


class ProcessRecord(BaseModel):
    """One process ``up`` started: what ``status`` checks and ``down`` stops."""

    name: str
    pid: int
    started: float  # the process's start time (psutil's create_time), with the pid its identity
    log: str
    command: list[str]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spawn(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    logs: Path,
    cwd: Path | None = None,
) -> ProcessRecord:
    """Start ``command`` as service ``name``, detached, its output in ``logs/<name>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("ab") as output:
        output.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
        output.flush()
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = psutil.Process(process.pid).create_time()
    return ProcessRecord(
        name=name, pid=process.pid, started=started, log=str(log), command=list(command)
    )


def _process(record: ProcessRecord) -> psutil.Process | None:
    """The process ``record`` names, if it still runs (not the one that reuses its id)."""
    try:
        process = psutil.Process(record.pid)
        if abs(process.create_time() - record.started) > 0.01:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except psutil.Error:
        return None


def running(record: ProcessRecord) -> bool:
    return _process(record) is not None


def group(record: ProcessRecord) -> list[psutil.Process]:
    """Every live process of the service: its process group, the service's own process
    included, or what is left of the group once that process died. A process that now holds
    the recorded id but started at another time is not the service: then nothing is."""
    try:
        leader = psutil.Process(record.pid)
        if abs(leader.create_time() - record.started) > 0.01:
            return []
    except psutil.NoSuchProcess:
        pass
    except psutil.Error:
        return []
    members = []
    for process in psutil.process_iter(["create_time"]):
        try:
            if (
                os.getpgid(process.pid) == record.pid
                and process.info["create_time"] >= record.started - 0.01
            ):
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def stop(records: Sequence[ProcessRecord], timeout: float = 30) -> list[str]:
    """Stop the services and everything they started, all at once: SIGTERM, then SIGKILL
    to what still runs after ``timeout``. The names of those that were running."""
    members = {record.name: group(record) for record in records}
    everyone = [process for processes in members.values() for process in processes]
    for process in everyone:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(everyone, timeout=timeout)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)
    return [name for name, processes in members.items() if processes]


def tail(log: Path | str, lines: int = TAIL_LINES) -> str:
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def failure(name: str, log: Path | str, what: str) -> ServiceFailed:
    """A service's failure, with the end of its log."""
    return ServiceFailed(f"{name} {what}; its log: {log}", tail(log))


def wait_until(
    record: ProcessRecord, healthy: Callable[[], bool], *, timeout: float, what: str = "healthy"
) -> None:
    """Wait until ``healthy()`` is true while the process runs; :class:`ServiceFailed` if it
    exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if not running(record):
            raise failure(record.name, record.log, "exited")
        try:
            if healthy():
                return
        except HorogenError:  # a probe that found what will not mend (an import error)
            raise
        except Exception:  # a probe that cannot connect yet is not healthy, nothing more
            pass
        if time.monotonic() > deadline:
            raise failure(record.name, record.log, f"was not {what} after {timeout:.0f} s")
        time.sleep(0.5)


class Launcher:
    """Starts a stack's processes and remembers each one, so that a failure part-way can
    stop exactly what was started (services start from several threads at once)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.records: list[ProcessRecord] = []
        self._lock = threading.Lock()
        self._stopped = False

    def spawn(
        self, name: str, command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None
    ) -> ProcessRecord:
        with self._lock:
            if self._stopped:  # another service failed: start nothing more
                raise ServiceFailed(f"{name} not started: the stack is stopping")
            record = spawn(name, command, env=env, logs=self.logs, cwd=cwd)
            self.records.append(record)
        return record

    def run_once(
        self, name: str, command: Sequence[str], *, env: Mapping[str, str], timeout: float
    ) -> None:
        """Run a set-up command (a migration) to its end, its output in ``logs/<name>.log``;
        stopped with the rest if another service fails meanwhile."""
        record = self.spawn(name, command, env=env)
        try:
            code = psutil.Process(record.pid).wait(timeout=timeout)
        except psutil.TimeoutExpired:
            stop([record])
            raise failure(name, record.log, f"did not finish in {timeout:.0f} s") from None
        finally:
            with self._lock:
                self.records.remove(record)
        if code != 0:
            raise failure(name, record.log, f"exited with code {code}")

    def stop_all(self) -> None:
        """Stop every process started, the last started first."""
        with self._lock:
            self._stopped = True
            started = list(reversed(self.records))
        stop(started)
