"""The lifecycle the project's local HTTP servers share (the one-stop-shop API, the dbt docs
page): wait until a started process answers, stop it politely, then firmly."""

from __future__ import annotations

import subprocess
import time

import requests


def wait_until_answering(process: subprocess.Popen, url: str, timeout: float, what: str, hint: str = "") -> None:
    """Return once `url` answers 2xx/3xx; raise if the process exits or `timeout` passes
    (the process is stopped then). `hint` is appended to the error (e.g. where the log is)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}{hint}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
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
