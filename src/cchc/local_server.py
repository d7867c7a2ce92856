"""The lifecycle the project's local HTTP servers share (the one-stop-shop API, the dbt docs
page): refuse a port another process holds, wait until the started process answers (and
is the one answering), stop it politely, then firmly."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import requests


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


def wait_until_answering(process: subprocess.Popen, url: str, timeout: float, what: str, hint: str = "",
                         is_ours: Callable[[requests.Response], bool] | None = None) -> None:
    """Return once `url` answers 2xx/3xx; raise if the process exits or `timeout` passes
    (the process is stopped then). `is_ours` tells an answer of the started process from
    another one's (e.g. by an instance id it was given); a foreign answer stops it and
    raises. `hint` is appended to the error (e.g. where the log is)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
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


def stop_process(process: subprocess.Popen | None) -> None:
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
