"""Command line: `python -m analytics ...` (imports, demo database, KPIs)."""

from __future__ import annotations

import difflib
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from analytics.ingest.common import ImportRejected
from analytics.ingest.registry import IMPORTERS
from analytics.store import get_engine, migrate

app = typer.Typer(help="School-improvement oversight: imports, KPIs and models.", no_args_is_help=True)
import_app = typer.Typer(help="Import one published file (all rows or none).", no_args_is_help=True)
app.add_typer(import_app, name="import")


def fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _make_import_command(kind: str) -> None:
    importer = IMPORTERS[kind]

    def command(
        file: Annotated[Path, typer.Argument(help="the file exactly as published")],
        year: Annotated[
            int | None, typer.Option(help="academic year the file covers (e.g. 2019 = 2018/19)")
        ] = None,
        as_at: Annotated[
            str | None, typer.Option(help="data date dd/mm/yyyy if not in the file name")
        ] = None,
        scheme: Annotated[str | None, typer.Option(help="name of the district mapping (districts)")] = None,
    ) -> None:
        options: dict[str, Any] = {}
        if scheme is not None:
            options["scheme"] = scheme
        if year is not None:
            options["year"] = year
        if as_at is not None:
            options["as_at"] = datetime.strptime(as_at, "%d/%m/%Y").date()
        engine = get_engine()
        migrate(engine)
        try:
            result = importer.load(engine, file, **options)
        except ImportRejected as rejected:
            fail(str(rejected), code=3)
            return
        except TypeError as error:
            fail(f"{kind} does not take that option: {error}", code=2)
            return
        typer.echo(
            f"{kind}: {file.name}: {result.rows_read:,} rows read, {result.rows_inserted:,} rows added, "
            f"{result.rows_updated:,} already present (updated)"
        )

    command.__doc__ = importer.help
    import_app.command(name=kind)(command)


for _kind in IMPORTERS:
    _make_import_command(_kind)


@app.command("init-demo")
def init_demo_command() -> None:
    """Build the embedded database from the bundled real data (skips files already imported)."""
    from analytics.demo import init_demo

    count = init_demo(get_engine(), progress=typer.echo)
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


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. piped into head
        sys.exit(0)
