"""Entry point: the sign-in gate, then navigation (unconditionally: every declared page is always handed
to st.navigation, as itself when the viewer's role may open it, else as a hidden stand-in), the data-age line
(signed in only), then the page."""

import sys
from pathlib import Path
from typing import Any

import streamlit as st

from ui import admission, auth, preload

# Every session's script runs in a thread of this one process. Each element a page draws is handed to the
# server's event loop (a write to its wake-up pipe, which lets go of the GIL); while other sessions' runs
# compute, getting the GIL back waits a whole switch interval (5 ms by default), so a page of a hundred
# elements could spend half a second waiting. 1 ms: measured in benchmarks/load_benchmark.py.
sys.setswitchinterval(0.001)

st.set_page_config(page_title="School improvement oversight", page_icon=":material/school:", layout="wide")
#: Each page's script by its title (menu order), for the module preload.
SCRIPT_OF: dict[str, Path] = {}


def page_of(script: str, title: str, **options: Any) -> Any:
    """`st.Page`, remembering which script serves the title."""
    SCRIPT_OF[title] = Path(__file__).parent / script
    return st.Page(script, title=title, **options)


PAGES = {
    "County": [
        page_of("views/overview.py", "Overview", icon=":material/dashboard:", url_path="home",
                default=True),
        page_of("views/movement.py", "Movement", icon=":material/swap_vert:", url_path="movement"),
        page_of("views/districts.py", "Districts", icon=":material/map:", url_path="districts"),
    ],
    "Schools": [
        page_of("views/school.py", "School drilldown", icon=":material/search:", url_path="school"),
        page_of("views/risk_register.py", "Risk register", icon=":material/warning:", url_path="risk"),
        page_of("views/model_card.py", "Model card", icon=":material/analytics:", url_path="model"),
    ],
    "Register": [
        page_of("views/register.py", "Register", icon=":material/fact_check:", url_path="register"),
        page_of("views/meeting.py", "Meeting view", icon=":material/groups:", url_path="meeting"),
        page_of("views/audit.py", "Audit trail", icon=":material/history:", url_path="audit"),
    ],
    "Data": [
        page_of("views/data_status.py", "Data and imports", icon=":material/database:",
                url_path="data"),
    ],
    "Administration": [
        page_of("views/users.py", "Users", icon=":material/group:", url_path="users"),
        page_of("views/access_log.py", "Access log", icon=":material/lock:", url_path="access-log"),
    ],
}

preload.start(list(SCRIPT_OF.values()))  # once per process, the home page's modules first

# One flat menu (the groups above only order it): Streamlit 1.67 renders menu sections as <div>s inside the
# <ul>, which axe-core reports as serious list/listitem violations (screen readers mis-announce the menu).
person = auth.signed_in()  # never raises: logged out, expired or unmapped -> None
page = st.navigation(auth.pages_for(person, [page for group in PAGES.values() for page in group]))
if person is not None:
    preload.wait(SCRIPT_OF.get(page.title))  # a fresh server: until the page's modules are imported
    auth.sidebar(person)
    # Imported after the menu is declared: a failure here can never bring back the auto-discovered menu.
    from ui.freshness import show_data_age

    show_data_age()  # "Ofsted data as at ..." and its age on every page; a warning when over two months old
if person is None:
    page.run()  # the sign-in form: never queued behind signed-in pages
else:
    with admission.page_slot():  # at most CONCURRENT_PAGE_RUNS pages at once, first come first served
        page.run()
