"""The command line itself: every command and option that scripts, the Makefile, the DAG
and the docs call is there; bad input gets a one-line message and a non-zero status, never
a traceback; statuses and the settings' defaults reach the commands."""

from __future__ import annotations

import pytest
from conftest import run_cchc
from typer.testing import CliRunner

from cchc import cli

# Each command (a path of names) and its options and arguments: what callers rely on.
COMMANDS = {
    ("reference", "build"): ["--check"],
    ("reference", "load"): ["--warehouse"],
    ("simulate",): ["--preset", "--seed", "--scale", "--start", "--end", "--province", "--out"],
    ("oss", "serve"): ["--db", "--host", "--port", "--as-of", "--error-rate"],
    ("oss", "openapi"): ["--out"],
    ("extract",): ["SOURCE", "--warehouse"],
    ("files", "status"): ["--source", "--warehouse"],
    ("files", "confirm"): ["FILE", "--warehouse"],
    ("files", "retry"): ["FILE", "--warehouse"],
    ("retract",): ["FILE", "--reason", "--warehouse"],
    ("build",): ["--warehouse", "--full-refresh", "--select", "--changed"],
    ("publish",): ["--warehouse", "--serving-dir", "--label"],
    ("validate",): ["--warehouse", "--run-id", "--as-of", "--suite"],
    ("docs", "generate"): ["--warehouse"],
    ("docs", "serve"): ["--port"],
    ("superset", "bundle"): ["--check"],
    ("superset", "provision"): ["--port"],
    ("superset", "serve"): ["--port"],
    ("exposures",): [],
    ("portability",): [],
    ("demo",): [],
    ("airflow", "init"): ["--port"],
    ("airflow", "serve"): ["--port"],
    ("airflow", "test"): ["--port", "--date"],
    ("airflow", "env"): ["--port"],
    ("backup",): ["DEST", "--wait"],
    ("restore",): ["BACKUP", "--force"],
    ("bench",): ["SCALE", "--work-root", "--results-dir", "--skip", "--keep-data", "--base-warehouse",
                 "--dossiers", "--step-timeout"],
}


def _help(*path: str) -> str:
    result = CliRunner().invoke(cli.app, [*path, "--help"], prog_name="cchc")
    assert result.exit_code == 0, result.output
    return result.output


def test_help_lists_every_command_and_group():
    listed = _help()
    for name in {path[0] for path in COMMANDS}:
        assert f"\n  {name} " in listed, name
    for group in {path[0] for path in COMMANDS if len(path) == 2}:
        in_group = _help(group)
        for path in COMMANDS:
            if path[0] == group:
                assert f"\n  {path[1]} " in in_group, path


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_each_command_keeps_its_options(path):
    text = _help(*path)
    for option in COMMANDS[path]:
        assert (option.lower() if option.isupper() else option) in text.lower(), (path, option, text)


def test_help_texts_are_kept():
    assert "exit 4 on a critical failure" in _help("validate")
    assert "share of requests answered 429/503" in _help("oss", "serve")
    assert "--changed build (everything the first time" in " ".join(_help("build").split())


def test_a_bad_option_is_one_line_and_status_2():
    result = run_cchc("simulate", "--no-such-option", check=False)
    assert result.returncode == 2
    assert "Error: No such option: --no-such-option" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("args, message", [
    (("extract", "nowhere"), "'nowhere' is not one of 'oss'"),
    (("bench", "galaxy"), "'galaxy' is not one of 'ci', 'province', 'national'"),
    (("files", "status", "--source", "oss"), "'oss' is not one of 'treasury'"),
    (("oss", "serve", "--port", "http"), "Invalid value for '--port'"),
    (("airflow",), "Commands:"),
    ((), "Commands:"),
])
def test_usage_errors_exit_2(capsys, args, message):
    assert cli.main(list(args)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_bad_setting_is_named_in_one_line():
    result = run_cchc("superset", "bundle", "--check", env={"CCHC_OSS_PORT": "tám nghìn"}, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: invalid configuration: CCHC_OSS_PORT='tám nghìn': Input should be a valid integer, "
        "unable to parse string as an integer"]


def test_errors_of_a_command_are_one_line(capsys, tmp_path):
    assert cli.main(["simulate", "--start", "yesterday", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "error: Invalid isoformat string: 'yesterday'\n"
    assert cli.main(["files", "confirm", "KBNN.xlsx", "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert capsys.readouterr().err.startswith("error: KBNN.xlsx: not a file of a source folder")
    with pytest.raises(SystemExit, match="--changed picks its own selection; leave out --select"):
        cli.main(["build", "--changed", "--select", "stg_oss__dossiers"])


def test_a_commands_status_is_the_exit_status(capsys):
    assert cli.main(["superset", "bundle", "--check"]) == 0
    assert capsys.readouterr().out == "superset/bundle is up to date\n"


def test_ports_default_to_the_settings(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CCHC_AIRFLOW_PORT", "28123")
    assert cli.main(["airflow", "env"]) == 0
    assert "export AIRFLOW__API__PORT=28123\n" in capsys.readouterr().out
    assert cli.main(["airflow", "env", "--port", "28124"]) == 0
    assert "export AIRFLOW__API__PORT=28124\n" in capsys.readouterr().out


def test_the_openapi_document_is_written_where_asked(capsys, tmp_path):
    assert cli.main(["oss", "openapi", "--out", str(tmp_path / "api.json")]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'api.json'}\n"
    assert (tmp_path / "api.json").read_text(encoding="utf-8").startswith("{")
