"""Command line: `python -m analytics ...` (imports, demo database, KPIs)."""

from __future__ import annotations

import difflib
import inspect
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError

from analytics.ingest.common import ImportRejected, InvalidOption
from analytics.ingest.registry import IMPORTERS
from analytics.ingest.runner import describe_database_error
from analytics.store import get_engine, migrate

app = typer.Typer(help="School-improvement oversight: imports, KPIs and models.", no_args_is_help=True)
import_app = typer.Typer(help="Import one published file (all rows or none).", no_args_is_help=True)
app.add_typer(import_app, name="import")


def fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _make_import_command(kind: str) -> None:
    importer = IMPORTERS[kind]
    accepted = set(inspect.signature(importer.load).parameters) - {"engine", "path"}

    def command(
        file: Annotated[Path, typer.Argument(help="the file exactly as published")],
        year: Annotated[
            int | None, typer.Option(help="academic year the file covers (e.g. 2019 = 2018/19)")
        ] = None,
        as_at: Annotated[
            str | None, typer.Option(help="data date dd/mm/yyyy if not in the file name")
        ] = None,
        scheme: Annotated[str | None, typer.Option(help="name of the district mapping (districts)")] = None,
        replace_later: Annotated[
            bool,
            typer.Option(
                "--replace-later",
                help="ofsted-outcomes: accept this release although a later-dated one is loaded, because "
                "that one was wrongly dated; this release replaces every release dated after it (inspections "
                "are kept)",
            ),
        ] = False,
    ) -> None:
        given = {"year": year, "as_at": as_at, "scheme": scheme, "replace_later": replace_later or None}
        options: dict[str, Any] = {}
        for name, value in given.items():
            if value is None:
                continue
            if name not in accepted:
                fail(f"{kind} does not take --{name.replace('_', '-')}.", code=2)
            options[name] = value
        if as_at is not None:
            options["as_at"] = _parse_as_at(as_at)
        try:
            engine = get_engine()
            migrate(engine)
            result = importer.load(engine, file, **options)
        except InvalidOption as bad:
            fail(str(bad), code=2)
            return
        except ImportRejected as rejected:
            fail(str(rejected), code=3)
            return
        except DBAPIError as error:
            fail(f"{file.name} rejected: {describe_database_error(error)}", code=3)
            return
        except Exception as error:  # never a traceback: say what failed, in one line
            detail = str(error).splitlines()[0][:200] if str(error) else ""
            fail(f"{file.name}: the import failed ({type(error).__name__}: {detail}); nothing was imported",
                 code=3)
            return
        typer.echo(
            f"{kind}: {file.name}: {result.rows_read:,} rows read, {result.rows_inserted:,} rows added, "
            f"{result.rows_updated:,} already present (updated)"
        )
        for note in result.notes:
            typer.echo(f"{kind}: {note}")
        from analytics.derived import refresh

        refresh(engine, progress=typer.echo)

    command.__doc__ = importer.help
    import_app.command(name=kind)(command)


def _parse_as_at(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        fail(f"--as-at must be a date dd/mm/yyyy, not '{text}'.", code=2)
        raise


for _kind in IMPORTERS:
    _make_import_command(_kind)


@app.command("init-demo")
def init_demo_command() -> None:
    """Build the embedded database from the bundled real data (skips files already imported)."""
    from analytics.demo import init_demo

    engine = get_engine()
    count = init_demo(engine, progress=typer.echo)
    typer.echo(f"Demo database ready ({count} file(s) imported this run).")


def resolve_la(name: str, known: list[str]) -> str:
    """Exact (case-insensitive) LA name, or exit 2 listing close matches."""
    by_lower = {k.lower(): k for k in known}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.5)
    close += [k for k in known if name.lower() in k.lower() and k not in close]
    listing = " Run `python -m analytics las` for the list."
    hint = f" Did you mean: {', '.join(close[:5])}?" if close else listing
    fail(f"Unknown local authority '{name}'.{hint}", code=2)
    return ""


@app.command("las")
def list_las() -> None:
    """List the local authorities in the store."""
    from analytics.queries import la_names

    for name in la_names(get_engine()):
        typer.echo(name)


@app.command("kpis")
def kpis_command(
    la: Annotated[str | None, typer.Option(help="local authority name; England if omitted")] = None,
    format: Annotated[str, typer.Option("--format", help="json or table")] = "table",
) -> None:
    """County KPIs as at the data date of the latest Ofsted release."""
    from analytics.metrics import county_kpis
    from analytics.queries import Scope, la_names, school_headlines

    engine = get_engine()
    scope = Scope.england() if la is None else Scope.la(resolve_la(la, la_names(engine)))
    kpis = county_kpis(school_headlines(engine, scope))
    if format == "json":
        typer.echo(json.dumps(kpis))
    elif format == "table":
        width = max(len(k) for k in kpis)
        for key, value in kpis.items():
            typer.echo(f"{key:<{width}}  {value}")
    else:
        fail(f"Unknown format '{format}': use json or table.", code=2)


@app.command("school")
def school_command(
    urn: Annotated[str, typer.Argument(help="the school's URN")],
    format: Annotated[str, typer.Option("--format", help="json or table")] = "table",
) -> None:
    """One school's profile: headline grade and its source, latest graded inspection, due date,
    predecessors."""
    from analytics.profiles import load_profile

    if format not in ("json", "table"):
        fail(f"Unknown format '{format}': use json or table.", code=2)
    if not urn.strip().isdigit():
        fail(f"'{urn}' is not a URN: a URN is a number such as 100000.", code=2)
    engine = get_engine()
    migrate(engine)
    profile = load_profile(engine, int(urn))
    if profile is None:
        fail(f"No school with URN {int(urn)} is in the data.", code=2)
        return
    summary = profile.summary()
    if format == "json":
        typer.echo(json.dumps(summary, default=_json_default))
    else:
        width = max(len(k) for k in summary)
        for key, value in summary.items():
            typer.echo(f"{key:<{width}}  {value}")


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. piped into head
        sys.exit(0)


# --- Early-warning model (issue 5)
# -------------------------------------------------------------------------------


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date YYYY-MM-DD, not '{value}'.", code=2)
        raise


@app.command("backtest")
def backtest_command(
    test_from: Annotated[str, typer.Option("--test-from", help="first start date YYYY-MM-DD")],
    test_to: Annotated[str, typer.Option("--test-to", help="last start date of the test window YYYY-MM-DD")],
    format: Annotated[str, typer.Option("--format", help="json or table")] = "table",
    scores_out: Annotated[Path | None, typer.Option(help="write the test scores to this CSV")] = None,
) -> None:
    """Train on inspections before --test-from only; evaluate on graded inspections inside the window."""
    import pandas as pd

    from analytics.risk.backtest import run_backtest
    from analytics.risk.data import examples, load_inputs

    start, end = _parse_day(test_from, "--test-from"), _parse_day(test_to, "--test-to")
    if end < start:
        fail("--test-to is before --test-from.", code=2)
    if format not in ("json", "table"):
        fail(f"Unknown format '{format}': use json or table.", code=2)
    frame = examples(load_inputs(get_engine()))
    starts = frame["start_date"]
    test = frame.loc[(starts >= pd.Timestamp(start)) & (starts <= pd.Timestamp(end))]
    if test.empty or test["adverse"].nunique() < 2:
        fail("No graded inspections with both outcomes in that window: choose another window.", code=2)
    result = run_backtest(frame, pd.Timestamp(start), pd.Timestamp(end))
    if scores_out is not None:
        result.scored.to_csv(scores_out, index=False)
    if format == "json":
        typer.echo(json.dumps(result.metrics, default=_json_default))
    else:
        for key, value in result.metrics.items():
            typer.echo(f"{key:<36}  {value}")


@app.command("train")
def train_command() -> None:
    """Fit the model on the whole history, with time-split backtests, and store it in the database."""
    from analytics.risk.training import train_and_store

    if train_and_store(get_engine(), progress=typer.echo) is None:
        fail("Too few graded inspections in the store to train: run `python -m analytics init-demo`.", code=3)


@app.command("score")
def score_command(
    la: Annotated[str | None, typer.Option(help="local authority name; England if omitted")] = None,
    as_at: Annotated[str | None, typer.Option("--as-at", help="score date YYYY-MM-DD, default today")] = None,
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    limit: Annotated[int | None, typer.Option(help="only the N riskiest schools")] = None,
) -> None:
    """Score every open school with the stored model (riskiest first)."""
    from analytics import derived
    from analytics.queries import la_names
    from analytics.risk import store
    from analytics.risk.data import load_inputs
    from analytics.risk.scoring import score_schools
    from analytics.store import data_version

    if format not in ("csv", "json"):
        fail(f"Unknown format '{format}': use csv or json.", code=2)
    engine = get_engine()
    try:
        loaded = store.load_latest(engine)
    except store.StoredModelError as error:
        fail(str(error), code=3)
        return
    if loaded is None:
        fail("No trained model: run `python -m analytics train` first.", code=3)
        return
    model, meta = loaded
    inputs = load_inputs(engine)
    scored = score_schools(
        model,
        inputs,
        _parse_day(as_at, "--as-at") if as_at else date.today(),
        reliability=meta.get("reliability"),
        cautions=meta.get("cautions"),
    )
    names = inputs.schools.set_index("urn")[["name", "la_name"]]
    scored = scored.join(names, on="urn")
    due = derived.load(engine, "due", data_version(engine)).set_index("urn")  # the school page's due dates
    scored = scored.join(due[["due_date", "due_rule", "overdue"]], on="urn")
    if la is not None:
        scored = scored.loc[scored["la_name"] == resolve_la(la, la_names(engine))]
    if limit is not None:
        scored = scored.head(limit)
    columns = ["urn", "name", "la_name", "risk", "risk_low", "risk_high", "band", "national_share",
               "prev_grade", "years_since_prev", "drivers", "caution", "due_date", "due_rule", "overdue"]
    if format == "json":
        typer.echo(scored[columns].to_json(orient="records"))
    elif format == "csv":
        typer.echo(scored[columns].to_csv(index=False), nl=False)
    else:
        fail(f"Unknown format '{format}': use csv or json.", code=2)
