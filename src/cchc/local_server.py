"""The lifecycle the project's local servers share (the one-stop-shop API, the dbt docs
page, Superset, Airflow): refuse a port another process holds, start each child process in
a session of its own, wait until it answers (and is the one answering), serve in the
foreground until Ctrl+C or SIGTERM, and stop every process of the child's group: politely,
then firmly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import requests

# Seconds a stopped service's processes get to exit after SIGTERM before SIGKILL.
STOP_GRACE = 30


class PortInUseError(RuntimeError):
    """Another process listens on the port a server was to use."""


def ensure_port_free(host: str, port: int, what: str, variable: str = "") -> None:
    """Raise PortInUseError at once if ``port`` cannot be bound: otherwise the new server
    would fail in the background while the other process answered in its place."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            hint = f" or choose another port with {variable}" if variable else ""
            raise PortInUseError(f"{what}: port {port} on {host} is already in use by another process "
                                 f"({exc.strerror}); stop that process{hint}") from None


def start_process(args: Sequence[str], **popen: Any) -> subprocess.Popen:
    """Popen in a new session: the child leads a process group that holds whatever it
    forks (gunicorn's workers, Airflow's task runners), so stop_processes reaches them all;
    and a terminal's Ctrl+C reaches only the parent, which stops the group itself."""
    popen.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(args, start_new_session=True, **popen)


def wait_until_answering(process: subprocess.Popen, url: str, timeout: float, what: str, hint: str = "",
                         is_ours: Callable[[requests.Response], bool] | None = None) -> None:
    """Return once `url` answers 2xx/3xx; raise if the process exits or `timeout` passes
    (the process is stopped then). `is_ours` tells an answer of the started process from
    another one's (e.g. by an instance id it was given); a foreign answer stops it and
    raises. `hint` is appended to the error (e.g. where the log is)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop_process(process)  # what it forked may live on
            raise RuntimeError(f"{what} exited with code {process.returncode}{hint}")
        try:
            response = requests.get(url, timeout=1)
        except requests.RequestException:
            response = None
        if response is not None and response.ok:
            if is_ours is None or is_ours(response):
                return
            stop_process(process)
            raise PortInUseError(f"another server answers on {url} in place of the {what} just started{hint}")
        time.sleep(0.2)
    stop_process(process)
    raise TimeoutError(f"{what} did not answer on {url} within {timeout:.0f} s{hint}")


def _group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (zombies, already dead, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def stop_processes(processes: Sequence[subprocess.Popen | None], grace: float = STOP_GRACE) -> None:
    """SIGTERM each process group started by start_process, wait until every process of
    them has exited or `grace` seconds have passed, then SIGKILL what is left and wait
    for it to be gone."""
    groups = [p for p in processes if p is not None]
    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        running = [p for p in groups if p.poll() is None or _group_alive(p.pid)]
        for process in running:
            _signal_group(process.pid, signum)
        deadline = time.monotonic() + wait
        for process in running:
            while (process.poll() is None or _group_alive(process.pid)) and time.monotonic() < deadline:
                time.sleep(0.1)
    for process in groups:
        process.wait()


def stop_process(process: subprocess.Popen | None, grace: float = STOP_GRACE) -> None:
    stop_processes([process], grace)


class Service(Protocol):
    @property
    def processes(self) -> list[subprocess.Popen]: ...

    def start(self) -> Any: ...

    def stop(self) -> None: ...


class ChildProcess:
    """A service that is one child process (and whatever that forks)."""

    process: subprocess.Popen | None = None

    @property
    def processes(self) -> list[subprocess.Popen]:
        return [self.process] if self.process else []

    def stop(self) -> None:
        stop_process(self.process)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, like Ctrl+C, so the `finally` that stops the
    children runs (Python's default for SIGTERM exits at once and leaves them serving)."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_in_foreground(service: Service, announce: Callable[[], None]) -> int:
    """Start `service`, `announce` it, serve until Ctrl+C, SIGTERM or the exit of one of its
    processes, then stop all of them. Returns the command's exit status: 0 when stopped on
    request (the normal end of a service, as for `cchc demo`), 1 when a process exited by
    itself. A second signal while stopping is ignored: the stop is bounded anyway."""
    with sigterm_as_interrupt():
        try:
            service.start()
            announce()
            while all(p.poll() is None for p in service.processes):
                time.sleep(1)
            dead = next(p for p in service.processes if p.poll() is not None)
            print(f"error: {' '.join(map(str, dead.args[:3]))} … exited with code {dead.returncode}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                service.stop()
            finally:
                signal.signal(signal.SIGINT, signal.default_int_handler)
