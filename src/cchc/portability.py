"""Spark portability guard: the DuckDB-only SQL in each dbt model (issue 17, first step).

dbt compiles every model on the DuckDB target; sqlglot parses that SQL as DuckDB and this
module names the constructs Spark SQL lacks or reads differently, so new DuckDB-only SQL
fails in review (tests/test_portability.py) rather than on a Spark cluster. No Spark is
needed: sqlglot knows both dialects' grammars and spellings.

Two kinds of checks:
- TRAPS, each found by AST node type or function name, with the reason in English: what
  the issue measured on Spark 4 (silent wrong results included) and what sqlglot's Spark
  dialect writes differently.
- Catch-alls for constructs not listed yet: a node that sqlglot writes one way for DuckDB
  and another for Spark (NOT_A_DIFFERENCE lists the spellings Spark also accepts with the
  same meaning), a function name only sqlglot's DuckDB dialect knows (DUCKDB_NAMES), and a
  function sqlglot does not know (SHARED_FUNCTIONS lists those that exist in both engines
  with the same meaning).

What dbt's cross-database macros (dbt.split_part, ...) render for DuckDB is no finding:
dbt-spark renders its own (CROSS_DATABASE_RENDERINGS).

What this cannot see: column types (a `date_trunc` or a division is judged by its
literals only), whether an ORDER BY's NULLS FIRST/LAST was written (DuckDB and Spark sort
NULLs differently in ascending order: write it out in window orderings), the SQL of the
`is_incremental()` branches (dbt compiles the first-build branch on a fresh warehouse), the
default__ variants of our dispatched macros (what Spark would run without a spark__
variant: DuckDB compiles its duckdb__ one), and macros no model calls. The data tests are
not checked. Passing the guard is no proof that a model runs on Spark: the Spark build of
issue 17 is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import TokenType

BASELINE = Path(__file__).resolve().parents[2] / "dbt_project" / "portability_baseline.yml"
FIX = ("use a dbt cross-database macro (dbt.safe_cast, dbt.split_part, dbt.date_trunc, ...) or a "
       "macro of ours with adapter.dispatch (a default__ and a spark__ variant)")


@dataclass(frozen=True, order=True)
class Finding:
    model: str
    construct: str
    reason: str


# construct -> why it is not portable. The keys are the names the baseline uses.
TRAPS = {
    "regexp_replace 'g' flag": "Spark reads the 4th argument as a start position: NULL on 'g'; "
                               "Spark replaces every match anyway",
    "regexp_replace without 'g'": "DuckDB replaces the first match only, Spark every match",
    "regexp options argument": "Spark's regexp functions take no options argument (write flags inline: '(?i)...')",
    "backslash in string literal": "Spark unescapes backslashes in string literals: '\\s+' becomes 's+'",
    "// integer division": "`//` is DuckDB's integer division; Spark's is `div`",
    "decimal-literal division": "x / 12.0 is a DOUBLE on DuckDB, a DECIMAL rounded to 6 places on Spark "
                                "(write 12e0 or cast to double)",
    "quantile_cont": "Spark spells it percentile or percentile_cont(p) within group (order by x)",
    "strftime": "Spark formats with date_format and Java pattern letters ('yyyy-MM'), not '%Y-%m'",
    "varchar cast": "Spark's VARCHAR needs a length and TEXT is no Spark type; STRING is portable",
    "timestamptz cast": "Spark has no TIMESTAMPTZ type (its TIMESTAMP is the session-time-zone one)",
    "timezone()": "DuckDB's timezone(zone, ts); Spark converts with from_utc_timestamp / convert_timezone",
    "last_value(... ignore nulls)": "IGNORE NULLS inside the parentheses is DuckDB's syntax; Spark takes "
                                    "last_value(x, true) or IGNORE NULLS after the parentheses",
    "qualify": "sqlglot's Spark dialect has no QUALIFY (it rewrites it into a subquery)",
    "1-based list index": "DuckDB's lists count from 1, Spark's arrays from 0",
    "nfc_normalize": "Spark has no Unicode normalisation function",
    "getvariable": "a DuckDB session variable; Spark: a dbt var or a Spark 4 session variable",
    "json_exists": "Spark has no json_exists (get_json_object(...) is not null)",
    "json extraction": "DuckDB's json_extract, -> and ->>; Spark reads JSON with get_json_object / from_json",
    "json_keys": "Spark spells it json_object_keys",
    "arg_max / arg_min": "Spark spells them max_by / min_by",
    "list_filter / list_transform": "Spark's higher-order functions are filter() / transform()",
    "lambda syntax": "DuckDB's `lambda x: ...`; Spark writes `x -> ...`",
    "unnest": "Spark explodes arrays with explode(), a generator, not unnest",
    "range() list": "DuckDB's range(a, b) is a list without b; Spark's range is a table function "
                    "(sequence(a, b) includes b)",
    "string_split": "Spark's split() takes a regular expression ('.' matches every character) and its "
                    "arrays count from 0",
    "strpos": "Spark has no strpos (locate / instr / position)",
    "struct literal": "DuckDB's {'k': v} or struct_pack(k := v); Spark writes named_struct('k', v)",
    "select * exclude": "Apache Spark has no * EXCLUDE / * EXCEPT",
}

# sqlglot node types -> the TRAPS entry they are (the catch-all reports the others).
NODE_TRAPS = {
    exp.IntDiv: "// integer division", exp.PercentileCont: "quantile_cont", exp.TimeToStr: "strftime",
    exp.JSONExtract: "json extraction", exp.JSONExtractScalar: "json extraction", exp.JSONKeys: "json_keys",
    exp.ArgMax: "arg_max / arg_min", exp.ArgMin: "arg_max / arg_min",
    exp.ArrayFilter: "list_filter / list_transform", exp.Transform: "list_filter / list_transform",
    exp.Lambda: "lambda syntax", exp.Explode: "unnest", exp.GenerateSeries: "range() list",
    exp.Split: "string_split", exp.StrPosition: "strpos", exp.Struct: "struct literal",
}
NAMED_FUNCTIONS = {"timezone": "timezone()", "nfc_normalize": "nfc_normalize", "getvariable": "getvariable",
                   "json_exists": "json_exists"}
# Functions sqlglot does not know whose DuckDB meaning Spark shares (to_json: of a map or
# struct, Spark's takes the same).
SHARED_FUNCTIONS = {"to_json"}
# Nodes sqlglot writes differently for Spark although Spark reads DuckDB's spelling the same:
# CASE WHEN for IF, current_timestamp without (), date_trunc('month', x) (a TIMESTAMP on both),
# INTERVAL forms, bool_or / bool_and (sqlglot adds a cast for DuckDB). Casts and literals have
# their own checks; TIMESTAMP is TIMESTAMP_NTZ on DuckDB, the session-time-zone type on Spark:
# the same values with the Spark session in UTC. Ordered: see the module's docstring. JSON
# paths belong to their (flagged) JSON operator.
NOT_A_DIFFERENCE = (exp.If, exp.CurrentTimestamp, exp.DateTrunc, exp.TimestampTrunc, exp.Interval, exp.Ordered,
                    exp.LogicalOr, exp.LogicalAnd,
                    exp.Cast, exp.DataType, exp.Literal, exp.JSONPath, exp.JSONPathPart,
                    # structure and names: dbt renders relations per adapter; the clauses are checked apart
                    exp.Table, exp.Identifier, exp.Column, exp.TableAlias, exp.Alias, exp.Select, exp.From,
                    exp.Join, exp.CTE, exp.With, exp.Subquery, exp.Window, exp.IgnoreNulls, exp.Bracket, exp.WithinGroup)
# dbt's cross-database macros render per adapter: what dbt-duckdb writes for them is no
# finding (dbt-spark writes its own). Per macro, whether a node is part of that rendering.
CROSS_DATABASE_RENDERINGS = {
    # position(substring, string): DuckDB's position(… in …), read as strpos
    "position": lambda node: isinstance(node, exp.StrPosition),
    # split_part(s, d, n): string_split(s, d)[n]
    "split_part": lambda node: (isinstance(node, exp.Bracket) and isinstance(node.this, exp.Split)
                                or isinstance(node, exp.Split) and isinstance(node.parent, exp.Bracket)),
}
# Function names sqlglot's DuckDB dialect reads and its Spark dialect does not know (its
# tree keeps the function, not the name: list_contains is array_contains once parsed),
# except those Spark has too and those a node trap reports.
DUCKDB_NAMES = sorted(
    set(sqlglot.Dialect.get_or_raise("duckdb").parser_class.FUNCTIONS)
    - set(sqlglot.Dialect.get_or_raise("spark").parser_class.FUNCTIONS)
    - {"MAKE_DATE", "VERSION", "STRFTIME", "QUANTILE_CONT", "STRING_SPLIT", "STR_SPLIT", "LIST_FILTER",
       "LIST_TRANSFORM", "RANGE", "STRUCT_PACK"})
TEXT_TYPES = {TokenType.TEXT, TokenType.VARCHAR, TokenType.NVARCHAR, TokenType.BPCHAR}
IGNORE_NULLS_INSIDE = re.compile(r"\bignore\s+nulls\s*\)", re.IGNORECASE)
DECIMAL_LITERAL = re.compile(r"^\d*\.\d+$|^\d+\.\d*$")


def findings_in_sql(sql: str, model: str = "", dbt_macros: frozenset[str] = frozenset()) -> list[Finding]:
    """The DuckDB-only constructs of one model's compiled SQL, once each, sorted; what the
    dbt cross-database macros in `dbt_macros` (the model's) rendered for DuckDB aside."""
    found = set(_token_traps(sql))
    rendered = [CROSS_DATABASE_RENDERINGS[name] for name in sorted(dbt_macros & CROSS_DATABASE_RENDERINGS.keys())]
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is not None:
            found.update(_tree_traps(tree, sql, rendered))
    return sorted(Finding(model, construct, reason) for construct, reason in found)


def _token_traps(sql: str) -> Iterator[tuple[str, str]]:
    """Type names the tree does not keep: DuckDB parses varchar, text and string alike. A
    cast's type: after `::`, or after `as` and closing the cast (`as text` alone may be an alias)."""
    tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
    for before, token, after in zip([None, *tokens], tokens, [*tokens[1:], None], strict=False):
        if token.text.upper() in DUCKDB_NAMES and after is not None and after.token_type == TokenType.L_PAREN:
            yield f"{token.text.lower()}()", "DuckDB's name: sqlglot's Spark dialect has no function of this name"
        if token.token_type not in TEXT_TYPES or token.text.lower() == "string" or before is None:
            continue
        follows = after.token_type if after is not None else None
        if (before.token_type == TokenType.DCOLON and follows != TokenType.L_PAREN
                or before.token_type == TokenType.ALIAS and follows in (TokenType.R_PAREN, TokenType.L_BRACKET)):
            yield "varchar cast", TRAPS["varchar cast"]


def _tree_traps(tree: exp.Expression, sql: str, rendered) -> Iterator[tuple[str, str]]:
    for node in tree.walk():
        if any(is_rendering(node) for is_rendering in rendered):
            continue  # its arguments are the model's and are walked
        construct = _trap(node, sql)
        if construct:
            yield construct, TRAPS[construct]
        elif construct is None:
            yield from _spelt_differently(node)


def _trap(node: exp.Expression, sql: str) -> str | None | bool:
    """The TRAPS entry `node` is; False when it is portable; None when not judged here."""
    if isinstance(node, exp.PercentileCont) and isinstance(node.parent, exp.WithinGroup):
        return False  # percentile_cont(p) within group (order by x): both engines' spelling
    if type(node) in NODE_TRAPS:
        return NODE_TRAPS[type(node)]
    if isinstance(node, exp.RegexpReplace):
        flags = node.args.get("modifiers")
        if flags is not None:
            return "regexp_replace 'g' flag" if "g" in flags.name else "regexp options argument"
        anchored = node.expression.is_string and node.expression.name.startswith("^") and "|" not in node.expression.name
        return not anchored and "regexp_replace without 'g'"
    if isinstance(node, (exp.RegexpExtract, exp.RegexpSubstr, exp.RegexpLike, exp.RegexpILike)):
        return any(node.args.get(arg) is not None for arg in ("parameters", "flag")) and "regexp options argument"
    if isinstance(node, exp.Literal):
        return node.is_string and "\\" in node.name and "backslash in string literal"
    if isinstance(node, exp.Div):
        return any(side.is_number and not side.is_string and DECIMAL_LITERAL.match(side.name)
                   for side in (node.this, node.expression)) and "decimal-literal division"
    if isinstance(node, exp.DataType):
        return node.this in (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ) and "timestamptz cast"
    if isinstance(node, exp.IgnoreNulls):
        return bool(IGNORE_NULLS_INSIDE.search(sql)) and "last_value(... ignore nulls)"
    if isinstance(node, exp.Select):
        return node.args.get("qualify") is not None and "qualify"
    if isinstance(node, exp.Star):
        return bool(node.args.get("except_") or node.args.get("except")) and "select * exclude"
    if isinstance(node, exp.Bracket):
        return any(not key.is_string for key in node.expressions) and "1-based list index"
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        return NAMED_FUNCTIONS.get(name) or (name not in SHARED_FUNCTIONS and None)
    return False if isinstance(node, NOT_A_DIFFERENCE) else None


def _spelt_differently(node: exp.Expression) -> Iterator[tuple[str, str]]:
    """The catch-all: `node` itself (its arguments replaced by placeholders, so that only
    its own spelling counts) written for DuckDB and for Spark; an unknown function as is."""
    if isinstance(node, exp.Anonymous):
        yield (f"{node.name.lower()}()", "a function sqlglot does not know: check that Spark has it with the same "
               "meaning, then list it in cchc.portability.SHARED_FUNCTIONS")
        return
    shallow = _with_placeholders(node)
    # Quietly: sqlglot's warnings about the placeholders are no finding.
    duckdb = shallow.sql("duckdb", unsupported_level=ErrorLevel.IGNORE)
    try:
        spark = shallow.sql("spark", unsupported_level=ErrorLevel.IGNORE)
    except Exception as exc:  # noqa: BLE001 - sqlglot cannot write it for Spark: that is the finding
        spark = f"nothing ({exc})"
    if duckdb != spark:
        yield type(node).__name__, f"sqlglot writes DuckDB's {duckdb} as {spark} for Spark"


def _with_placeholders(node: exp.Expression) -> exp.Expression:
    placeholders = iter(range(1_000))

    def placeholder(value):
        return exp.column(f"_{next(placeholders)}") if isinstance(value, exp.Expression) else value
    return type(node)(**{key: [placeholder(v) for v in value] if isinstance(value, list) else placeholder(value)
                         for key, value in node.args.items()})


# ---------------------------------------------------------------- the project's models

def compiled_manifest(settings, work: Path) -> dict:
    """`dbt compile` of the whole project on the DuckDB target into `work`, against a fresh
    empty warehouse there (compiling connects; nothing is built); returns the manifest."""
    import json

    from .transform import run_dbt

    result = run_dbt(settings, ["compile"], warehouse=work / "compile.duckdb", target_dir=work, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"dbt compile failed ({result.returncode}): {result.stdout[-3000:]}")
    return json.loads((work / "target" / "manifest.json").read_text())


def project_findings(manifest: dict) -> list[Finding]:
    """Every model's findings (the compiled SQL of a compiled manifest)."""
    return sorted(finding for node in manifest["nodes"].values() if node["resource_type"] == "model"
                  for finding in findings_in_sql(node["compiled_code"], node["name"], dbt_macros_called(manifest, node)))


def dbt_macros_called(manifest: dict, node: dict) -> frozenset[str]:
    """The names of dbt's own macros (package dbt) that `node` calls, directly or through
    the project's macros."""
    macros, seen, todo = manifest["macros"], set(), list(node["depends_on"]["macros"])
    while todo:
        uid = todo.pop()
        if uid not in seen and uid in macros:
            seen.add(uid)
            todo.extend(macros[uid]["depends_on"]["macros"])
    return frozenset(macros[uid]["name"] for uid in seen if macros[uid]["package_name"] == "dbt")


def spark_pending(path: Path = BASELINE) -> dict[str, str]:
    """The models that do not build on Spark yet -> why."""
    return dict((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("spark_pending") or {})


def load_baseline(path: Path = BASELINE) -> dict[str, dict[str, str]]:
    """model -> construct -> why it is not fixed yet."""
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or {}


def against_baseline(findings: list[Finding], baseline: dict[str, dict[str, str]]) -> tuple[list[Finding], list[str]]:
    """(the findings the baseline does not list, the baseline entries no longer found)."""
    found = {(f.model, f.construct) for f in findings}
    new = [f for f in findings if f.construct not in (baseline.get(f.model) or {})]
    gone = [f"{model}: {construct}" for model, constructs in sorted(baseline.items())
            for construct in sorted(constructs or {}) if (model, construct) not in found]
    return new, gone


def report(findings: list[Finding]) -> str:
    """Per model, its findings; then how many models and which constructs."""
    lines, model = [], None
    for finding in findings:
        if finding.model != model:
            model = finding.model
            lines.append(model)
        lines.append(f"  {finding.construct}: {finding.reason}")
    constructs = sorted({f.construct for f in findings})
    lines.append(f"{len({f.model for f in findings})} models use {len(constructs)} DuckDB-only constructs: "
                 + ", ".join(constructs))
    return "\n".join(lines)


def baseline_problems(findings: list[Finding], baseline: dict[str, dict[str, str]]) -> list[str]:
    """What the guard fails on, one line each (empty: the project matches its baseline)."""
    new, gone = against_baseline(findings, baseline)
    return ([f"{f.model}: {f.construct} ({f.reason}); to fix: {FIX}" for f in new]
            + [f"{entry}: no longer found, remove it from {BASELINE.name}" for entry in gone])
