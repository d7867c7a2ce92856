"""Services started by `cchc … serve` stop on SIGTERM with every process they started:
the command exits 0, its port stops answering and no descendant is left."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests
from conftest import free_port_in

from cchc.local_server import start_process, stop_process
from cchc.simulator.config import preset
from cchc.simulator.run import simulate


def _free_port() -> int:
    return free_port_in(range(52000, 53000))


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def _alive(processes: list[psutil.Process]) -> list[str]:
    """Those still running (same pid and start time), zombies aside."""
    left = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{process.pid} {' '.join(process.cmdline()[:4])}")
        except psutil.NoSuchProcess:
            pass
    return left


def _group_members(groups: set[int]) -> list[str]:
    left = []
    for process in psutil.process_iter(["pid", "status", "cmdline"]):
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
            if process.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(process.pid) in groups:
                left.append(f"{process.pid} {' '.join((process.info['cmdline'] or [])[:4])}")
    return left


def _serve_then_terminate(args: list[str], url: str, env: dict[str, str], timeout: float) -> None:
    command = subprocess.Popen([sys.executable, "-m", "cchc.cli", *args], env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    descendants: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url):
            assert command.poll() is None, command.stdout.read()
            assert time.monotonic() < deadline, f"{url} did not answer within {timeout:.0f} s"
            time.sleep(0.5)
        descendants = psutil.Process(command.pid).children(recursive=True)
        # each child leads a process group: what it forks later (workers, task runners) is in it too
        groups = {os.getpgid(p.pid) for p in descendants} - {os.getpgid(command.pid)}
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=60) == 0, command.stdout.read()
        assert not _answers(url)
        assert _alive(descendants) == []
        assert _group_members(groups) == []
        host, port = urlsplit(url).hostname, urlsplit(url).port
        with socket.socket() as sock:  # closed, not merely not answering HTTP
            assert sock.connect_ex((host, port)) != 0
    finally:  # whatever a failing command left behind
        if command.poll() is None:
            command.kill()
        for process in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def test_docs_serve_stops_with_its_file_server_on_sigterm(tmp_path):
    (tmp_path / "dbt_docs").mkdir()
    (tmp_path / "dbt_docs" / "index.html").write_text("<html>docs</html>")
    port = _free_port()
    _serve_then_terminate(["docs", "serve", "--port", str(port)], f"http://127.0.0.1:{port}",
                          {"CCHC_DATA_DIR": str(tmp_path)}, timeout=30)


def test_oss_serve_stops_on_sigterm(tmp_path, settings):
    """Uvicorn, in the command's own process, handles SIGTERM itself."""
    db = simulate(preset("demo", start=date(2025, 8, 1), end=date(2025, 8, 3)), tmp_path / "sources",
                  settings.reference_dir).oss_db
    port = _free_port()
    _serve_then_terminate(["oss", "serve", "--db", str(db), "--port", str(port), "--as-of", "2025-08-03T12:00:00"],
                          f"http://127.0.0.1:{port}/health", {"CCHC_DATA_DIR": str(tmp_path)}, timeout=60)


def test_stopping_a_service_stops_what_its_process_forked(tmp_path: Path):
    """A child's own children (gunicorn's workers, Airflow's task runners) are stopped
    with it, even one that ignores SIGTERM."""
    ready = tmp_path / "ready"
    process = start_process(["sh", "-c", f"sh -c 'trap \"\" TERM; touch {ready}; exec sleep 300' & sleep 300 & wait"])
    while not ready.exists() or len(psutil.Process(process.pid).children()) < 2:
        time.sleep(0.05)
    descendants = psutil.Process(process.pid).children(recursive=True)
    started = time.monotonic()
    stop_process(process, grace=2)
    assert _alive(descendants) == []
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_airflow_serve_stops_with_every_airflow_process_on_sigterm(tmp_path):
    """API server (and its workers), scheduler and DAG processor: none keeps running or
    answering after SIGTERM. A fresh metadata database, no DAG run (cheap as it goes)."""
    port = _free_port()
    _serve_then_terminate(["airflow", "serve", "--port", str(port)], f"http://127.0.0.1:{port}/api/v2/monitor/health",
                          {"CCHC_DATA_DIR": str(tmp_path), "CCHC_AIRFLOW_HOME": str(tmp_path / "airflow")},
                          timeout=300)
