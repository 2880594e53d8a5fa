"""Command line: `python -m analytics ...` (imports, demo database, KPIs)."""

from __future__ import annotations

import difflib
import inspect
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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

#: How much nicer (Linux `nice`) than the dashboard an import from the command line runs: on a small server
#: the pages people are reading come first and the monthly import takes a little longer
#: (benchmarks/load_benchmark.py, 20 sessions during the import, two runs each: the school deep link's p95
#: 4.6 / 5.9 -> 4.3 / 4.5 s).
IMPORT_NICENESS = 10


@contextmanager
def background_priority(increment: int = IMPORT_NICENESS) -> Iterator[None]:
    """This thread (and the threads it starts) at a lower CPU priority for the duration; restored after
    where the system allows (raising a priority again needs privileges)."""
    if not hasattr(os, "setpriority"):
        yield
        return
    thread = threading.get_native_id()  # Linux: the priority of one thread, not the whole process
    before = os.getpriority(os.PRIO_PROCESS, thread)
    os.setpriority(os.PRIO_PROCESS, thread, min(19, before + increment))
    try:
        yield
    finally:
        with suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread, before)


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
            from analytics.derived import refresh_follows

            with refresh_follows(), background_priority():  # the read model is refreshed right after
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
        with background_priority():
            _refresh_read_model(engine)

    command.__doc__ = importer.help
    import_app.command(name=kind)(command)


def _refresh_read_model(engine: Any) -> None:
    """Prepare the read model for the new data version. The import has already succeeded: a failure here (e.g.
    the database busy for too long) is reported, and the pages prepare it on their first view instead."""
    from analytics.derived import refresh

    try:
        refresh(engine, progress=typer.echo)
    except Exception as error:  # noqa: BLE001 (the import stands; say what happened, in one line)
        detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        typer.echo(f"The read model was not prepared now ({detail}); pages prepare it on their first view.",
                   err=True)


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
    from analytics.demo import first_director

    created = first_director(engine)
    if created is not None:
        email, password = created
        typer.echo(f"First run: created the director account {email} with the one-time password\n\n"
                   f"    {password}\n\nIt is shown only now. Sign in with it, then set your own with "
                   f"`python -m analytics users reset-password {email}`.")


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


# --- Schools Causing Concern register (issue 10): sub-apps `register`, `intervention`, `audit`
# ---------------------------------------------------------------------------------------------------------

register_app = typer.Typer(help="The Schools Causing Concern register (LA categorisation).",
                           no_args_is_help=True)
intervention_app = typer.Typer(help="Interventions at schools on the register.", no_args_is_help=True)
audit_app = typer.Typer(help="The register's audit trail.")
app.add_typer(register_app, name="register")
app.add_typer(intervention_app, name="intervention")
app.add_typer(audit_app, name="audit")


def _register_engine() -> Any:
    engine = get_engine()
    migrate(engine)
    return engine


def _records_json(records: list[dict[str, Any]]) -> str:
    """JSON list of objects in column order (dates ISO, numpy scalars as numbers)."""
    from analytics.register.base import json_default

    return json.dumps(records, default=json_default, ensure_ascii=False)


def _emit(frame: Any, format: str, allowed: tuple[str, ...] = ("json", "csv")) -> None:
    if format not in allowed:
        fail(f"Unknown format '{format}': use {' or '.join(allowed)}.", code=2)
    if format == "json":
        typer.echo(_records_json(frame.astype(object).where(frame.notna(), None).to_dict("records")))
    else:
        typer.echo(frame.to_csv(index=False), nl=False)


def _register_call(action: Any) -> Any:
    """Run a register change; bad input -> exit 2 naming the field, a conflict -> exit 1 (nothing written)."""
    from analytics.register import Conflict, InvalidInput

    try:
        return action()
    except InvalidInput as error:
        fail(f"Error: {error}", code=2)
    except Conflict as error:
        fail(f"Conflict: {error}", code=1)
    return None


def _past_day(value: str | None, option: str) -> date | None:
    """A date option that cannot be in the future."""
    if value is None:
        return None
    day = _parse_day(value, option)
    if day > date.today():
        fail(f"{option}: {day:%d/%m/%Y} is in the future.", code=2)
    return day


@register_app.command("schemes")
def register_schemes(
    format: Annotated[str, typer.Option("--format", help="json or table")] = "table",
) -> None:
    """The categorisation schemes and their levels, in order of concern (least first)."""
    from analytics.register.schemes import describe

    schemes = describe()
    if format == "json":
        typer.echo(json.dumps(schemes))
    elif format == "table":
        for scheme in schemes:
            stages = f"; stages {', '.join(map(str, scheme['stages']))}" if scheme["stages"] else ""
            levels = ", ".join(map(str, scheme["levels"]))
            typer.echo(f"{scheme['name']:<18} {levels}{stages}  ({scheme['title']})")
    else:
        fail(f"Unknown format '{format}': use json or table.", code=2)


@register_app.command("set")
def register_set(
    urn: Annotated[int, typer.Argument(help="the school's URN")],
    scheme: Annotated[str, typer.Option(help="support-levels, categories or stages-of-concern")],
    level: Annotated[str, typer.Option(help="a level of the scheme (code or name)")],
    reason: Annotated[str, typer.Option(help="why (required)")],
    by: Annotated[str, typer.Option(help="email of the person deciding")],
    strand: Annotated[list[str] | None, typer.Option(help="evidence strand (repeatable)")] = None,
    review_by: Annotated[str | None, typer.Option("--review-by", help="next review date YYYY-MM-DD")] = None,
    stage: Annotated[str | None, typer.Option(help="stage of concern (stages-of-concern scheme)")] = None,
    effective: Annotated[str | None, typer.Option(help="effective date YYYY-MM-DD (default today)")] = None,
) -> None:
    """Record a school's level (a new entry in its append-only history, audited)."""
    from analytics.register import entries

    engine = _register_engine()
    review = _parse_day(review_by, "--review-by") if review_by else None
    since = _past_day(effective, "--effective")
    version = _register_call(lambda: entries.record_level(
        engine, urn, scheme=scheme, level=level, reason=reason, by=by, strands=strand or [], stage=stage,
        effective=since, next_review=review,
    ))
    typer.echo(f"Recorded URN {urn}: {scheme} {level} (version {version}).")


@register_app.command("show")
def register_show(
    la: Annotated[str, typer.Option(help="local authority name")],
    as_at: Annotated[str | None, typer.Option("--as-at", help="the register as at YYYY-MM-DD")] = None,
    format: Annotated[str, typer.Option("--format", help="json or csv")] = "csv",
) -> None:
    """The register of an LA (one row per school with an entry in force), now or as at a date."""
    from analytics.queries import Scope, la_names
    from analytics.register import entries

    engine = _register_engine()
    name = resolve_la(la, la_names(engine))
    frame = entries.current(engine, Scope.la(name), _past_day(as_at, "--as-at"))
    columns = ["urn", "name", "constituency", "scheme", "level", "level_label", "stage", "stage_label",
               "strands", "reason", "effective_date", "next_review", "set_by", "recorded_at", "version"]
    _emit(frame.reindex(columns=columns), format)


@register_app.command("suggest")
def register_suggest(
    la: Annotated[str, typer.Option(help="local authority name")],
    format: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
) -> None:
    """Suggested level of every open school in the LA (its chosen scheme) with the evidence, beside the
    recorded level."""
    from analytics.queries import Scope, la_names
    from analytics.register import listing

    engine = _register_engine()
    name = resolve_la(la, la_names(engine))
    table = listing.register_table(engine, Scope.la(name))
    columns = ["urn", "name", "district", "ofsted", "risk_band", "scheme", "suggested_level",
               "suggested_label", "suggested_stage", "severity", "evidence", "level", "level_label", "stage",
               "disagreement"]
    _emit(table[columns], format)


@register_app.command("export")
def register_export(
    file: Annotated[Path, typer.Argument(help="JSON file to write")],
    la: Annotated[str | None, typer.Option(help="only this local authority")] = None,
) -> None:
    """Write the register (entries, interventions, notes, reviews, meetings, settings, audit) as JSON."""
    from analytics.queries import Scope, la_names
    from analytics.register import transfer

    engine = _register_engine()
    scope = Scope.la(resolve_la(la, la_names(engine))) if la else None
    data = transfer.export(engine, scope)
    file.write_text(transfer.dumps(data), encoding="utf-8")
    counts = ", ".join(f"{len(data[k])} {k}" for k in transfer.SECTIONS)
    typer.echo(f"Register exported to {file}: {counts}.")


@register_app.command("import")
def register_import(
    file: Annotated[Path, typer.Argument(help="a file written by `register export`")],
    by: Annotated[str, typer.Option(help="email of the person importing")],
) -> None:
    """Import a register export: all of it or nothing (refused where a school already has records)."""
    from analytics.register import transfer

    engine = _register_engine()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{file}: cannot be read ({error}).", code=3)
        return
    try:
        counts = _register_call(lambda: transfer.import_register(engine, text, by=by, file_name=file.name))
    except transfer.TransferRejected as rejected:
        fail(f"{file}: {rejected}", code=3)
        return
    typer.echo(f"Register imported from {file}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + ".")


@intervention_app.command("add")
def intervention_add(
    urn: Annotated[int, typer.Argument(help="the school's URN")],
    type: Annotated[str, typer.Option("--type", help="intervention type (see the Register page's settings)")],
    start: Annotated[str, typer.Option(help="start date YYYY-MM-DD (a future date plans it)")],
    days: Annotated[float, typer.Option(help="planned officer days")],
    by: Annotated[str, typer.Option(help="email of the person recording it")],
    day_rate: Annotated[
        float | None, typer.Option("--day-rate", help="GBP per day (default: the setting, 480)")
    ] = None,
) -> None:
    """Start (or plan) an intervention at a school, costed in officer days (audited)."""
    from analytics.register import interventions

    engine = _register_engine()
    begins = _parse_day(start, "--start")
    new_id = _register_call(lambda: interventions.add_intervention(
        engine, urn, type=type, start=begins, planned_days=days, by=by, day_rate=day_rate,
    ))
    typer.echo(f"Intervention #{new_id} recorded at URN {urn}.")


@audit_app.callback(invoke_without_command=True)
def audit_command(
    la: Annotated[str | None, typer.Option(help="local authority name")] = None,
    urn: Annotated[int | None, typer.Option(help="one school's URN")] = None,
    format: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
) -> None:
    """The audit trail (one object per change, newest first), optionally for an LA and/or a school."""
    from analytics.queries import Scope, la_names
    from analytics.register import audit

    engine = _register_engine()
    scope = Scope(
        la_names=(resolve_la(la, la_names(engine)),) if la else None, urns=(urn,) if urn is not None else None
    )
    frame = audit.audit_log(engine, scope)
    if format == "json":
        typer.echo(_records_json(audit.decoded(frame)))
    else:
        _emit(frame, format)


# --- Meeting papers (issue 14): `pack scc`, `pack members`, `pack district`
# ---------------------------------------------------------------------------------------------------------

pack_app = typer.Typer(help="Meeting papers: the SCC pack, the members' summary, a district profile.",
                       no_args_is_help=True)
app.add_typer(pack_app, name="pack")


def _gather(build: Any) -> Any:
    """Gather a pack; an unknown LA, district or term -> exit 2 with close matches (nothing written)."""
    from analytics.reports.model import UnknownChoice

    try:
        return build()
    except UnknownChoice as error:
        fail(str(error), code=2)
    return None


def _write(path: Path, payload: bytes | str) -> None:
    """Write through a temporary file beside the target, so a failure never leaves half a file."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    temporary.replace(path)
    typer.echo(f"Wrote {path} ({len(data):,} bytes)")


def _check_outputs(*paths: tuple[Path | None, str]) -> None:
    for path, suffix in paths:
        if path is None:
            continue
        if path.suffix.lower() != suffix:
            fail(f"{path} must end in {suffix}.", code=2)
        if not path.parent.exists():
            fail(f"Folder {path.parent} does not exist.", code=2)


@pack_app.command("scc")
def pack_scc(
    la: Annotated[str, typer.Option(help="local authority name")],
    out: Annotated[Path, typer.Option(help="the PDF to write")],
    as_at: Annotated[
        str | None, typer.Option("--as-at", help="meeting date YYYY-MM-DD, default today")
    ] = None,
    xlsx: Annotated[Path | None, typer.Option(help="also write the pack's tables to this XLSX")] = None,
) -> None:
    """The monthly Schools Causing Concern pack (OFFICIAL-SENSITIVE): PDF, and its tables as XLSX."""
    from analytics.reports.gather import scc_pack
    from analytics.reports.pdf import render_pdf
    from analytics.reports.xlsx import render_xlsx

    _check_outputs((out, ".pdf"), (xlsx, ".xlsx"))
    day = _parse_day(as_at, "--as-at") if as_at else None
    engine = _register_engine()
    pack = _gather(lambda: scc_pack(engine, la, day))
    pdf = render_pdf(pack)
    sheets = render_xlsx(pack) if xlsx is not None else None
    _write(out, pdf)
    if xlsx is not None and sheets is not None:
        _write(xlsx, sheets)


@pack_app.command("members")
def pack_members(
    la: Annotated[str, typer.Option(help="local authority name")],
    term: Annotated[str, typer.Option(help="term as YEAR-TERM, e.g. 2025-autumn (autumn, spring, summer)")],
    out: Annotated[Path, typer.Option(help="the PDF to write")],
    html: Annotated[Path | None, typer.Option(help="also write the accessible HTML summary")] = None,
) -> None:
    """The termly summary for elected members (plain English, small numbers suppressed, no school named)."""
    from analytics.reports.gather import members_pack
    from analytics.reports.html import render_html
    from analytics.reports.pdf import render_pdf

    _check_outputs((out, ".pdf"), (html, ".html"))
    engine = _register_engine()
    pack = _gather(lambda: members_pack(engine, la, term))
    pdf = render_pdf(pack)
    page = render_html(pack) if html is not None else None
    _write(out, pdf)
    if html is not None and page is not None:
        _write(html, page)


@pack_app.command("district")
def pack_district(
    la: Annotated[str, typer.Option(help="local authority name")],
    district: Annotated[str, typer.Option(help="district (constituency, or a name in --scheme)")],
    out: Annotated[Path, typer.Option(help="the PDF to write")],
    scheme: Annotated[str | None, typer.Option(help="an imported district mapping; default constituencies")]
    = None,
) -> None:
    """A DSIM's district profile: the district against the county and England, and its schools."""
    from analytics.reports.gather import district_pack
    from analytics.reports.pdf import render_pdf

    _check_outputs((out, ".pdf"))
    engine = _register_engine()
    pack = _gather(lambda: district_pack(engine, la, district, scheme))
    _write(out, render_pdf(pack))


# ------------------------------------------------------------------------------------------ users

users_app = typer.Typer(help="Local accounts: who may sign in, with which role and scope.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")


def _read_password() -> str:
    """The password from standard input (a terminal is asked twice, without echo)."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("Again: ") != first:
            fail("The two passwords differ; nothing written.", code=2)
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _access_call(action: Any) -> Any:
    from analytics.access import AccessError

    try:
        return action()
    except AccessError as error:
        fail(f"Error: {error} Nothing written.", code=2)
    return None


@users_app.command("add")
def users_add(
    email: str,
    role: Annotated[str, typer.Option(help="director, dsim, member, headteacher, analyst or admin")],
    la: Annotated[str | None, typer.Option(help="local authority (none: every LA)")] = None,
    district: Annotated[list[str] | None, typer.Option(help="a district of the LA (dsim; repeat)")] = None,
    urn: Annotated[int | None, typer.Option(help="the headteacher's school")] = None,
    memorandum: Annotated[str | None, typer.Option(help="signed or not-signed (headteacher)")] = None,
    no_password: Annotated[bool, typer.Option(help="OIDC sign-in only: no local password")] = False,
) -> None:
    """Add an account; the password is read from standard input (at least 12 characters)."""
    from analytics import access

    engine = _register_engine()
    spec = access.AccountSpec(email, role, la, tuple(district or ()), urn, memorandum)
    spec = _access_call(lambda: access.validate(engine, spec))
    password = None if no_password else _read_password()
    if password is not None:
        _access_call(lambda: access.check_password(password))
    _access_call(lambda: access.add_account(engine, spec, password))
    typer.echo(f"Added {spec.email} ({spec.role}).")


@users_app.command("list")
def users_list(format: Annotated[str, typer.Option(help="csv or json")] = "csv") -> None:
    """Every account (never a password hash)."""
    from analytics import access

    _emit(access.accounts(_register_engine()), format)


@users_app.command("remove")
def users_remove(email: str) -> None:
    """Remove an account."""
    from analytics import access

    _access_call(lambda: access.remove_account(_register_engine(), email))
    typer.echo(f"Removed {email.strip().lower()}.")


@users_app.command("reset-password")
def users_reset_password(email: str) -> None:
    """Set a new password (read from standard input) and clear any lock-out."""
    from analytics import access

    engine = _register_engine()
    if access.viewer(engine, email) is None:
        fail(f"Error: No account for {email.strip().lower()}. Nothing written.", code=2)
    password = _read_password()
    _access_call(lambda: access.reset_password(engine, email, password))
    typer.echo(f"New password set for {email.strip().lower()}.")
