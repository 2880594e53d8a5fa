"""ui/preload.py: which modules the pages' preload imports, and that it leaves training-only modules alone."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from ui.preload import imported_names, modules_of_pages

ROOT = Path(__file__).resolve().parents[1]
VIEWS = sorted((ROOT / "views").glob("*.py"))


def test_imported_names_reads_every_import_at_any_depth() -> None:
    source = (
        "import a.b, c\n"
        "from d import e, f\n"
        "from . import relative\n"
        "def g():\n"
        "    from h.i import j\n"
    )
    assert imported_names(source) == ["a.b", "c", "d", "d.e", "d.f", "h.i", "h.i.j"]


def test_the_pages_modules_include_what_the_overview_draws_with() -> None:
    names = modules_of_pages([ROOT / "views" / "overview.py"])
    assert {"plotly.graph_objects", "ui.read", "ui.packs"} <= set(names)
    assert "ui.read.reader" not in names  # a function imported from a module is not a module


def test_preloading_every_page_leaves_statsmodels_for_training() -> None:
    """Scoring and the pages read the fitted figures; importing statsmodels (over a second) is training's."""
    pages = [str(v) for v in VIEWS]
    code = (
        "import importlib, json, sys; from pathlib import Path; from ui.preload import modules_of_pages; "
        f"[importlib.import_module(n) for n in modules_of_pages([Path(p) for p in {pages!r}])]; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith(('statsmodels.formula', 'sklearn.base')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "sklearn.base" in loaded  # the risk pages' model: the preload did import the pages' modules
    assert not any(m.startswith("statsmodels.formula") for m in loaded), loaded


def test_the_app_preloads_every_declared_page(app_env: Path) -> None:
    """After the app's first run in this process, the preload knows every page app.py declares (so a
    signed-in run waits for its own page only) and finishes."""
    from signin import signed_in_app

    from ui import preload

    at = signed_in_app(timeout=120)
    assert not at.exception
    declared = {ROOT / path for path in re.findall(r'st\.Page\(\s*"([^"]+)"', (ROOT / "app.py").read_text())}
    assert len(declared) >= 10
    assert {script.resolve() for script in preload._ready} == {path.resolve() for path in declared}
    assert preload._done.wait(120), "the preload never finished"
    assert all(event.is_set() for event in preload._ready.values())
