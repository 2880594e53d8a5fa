"""Entry point: the sign-in gate, then navigation (unconditionally: every declared page is always handed
to st.navigation, as itself when the viewer's role may open it, else as a hidden stand-in), the data-age line
(signed in only), then the page."""

import sys

import streamlit as st

from ui import admission, auth, preload

# Every session's script runs in a thread of this one process. Each element a page draws is handed to the
# server's event loop (a write to its wake-up pipe, which lets go of the GIL); while other sessions' runs
# compute, getting the GIL back waits a whole switch interval (5 ms by default), so a page of a hundred
# elements could spend half a second waiting. 1 ms: measured in benchmarks/load_benchmark.py.
sys.setswitchinterval(0.001)

st.set_page_config(page_title="School improvement oversight", page_icon=":material/school:", layout="wide")
PAGES = {
    "County": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", url_path="home",
                default=True),
        st.Page("views/movement.py", title="Movement", icon=":material/swap_vert:", url_path="movement"),
        st.Page("views/districts.py", title="Districts", icon=":material/map:", url_path="districts"),
    ],
    "Schools": [
        st.Page("views/school.py", title="School drilldown", icon=":material/search:", url_path="school"),
        st.Page("views/risk_register.py", title="Risk register", icon=":material/warning:", url_path="risk"),
        st.Page("views/model_card.py", title="Model card", icon=":material/analytics:", url_path="model"),
    ],
    "Register": [
        st.Page("views/register.py", title="Register", icon=":material/fact_check:", url_path="register"),
        st.Page("views/meeting.py", title="Meeting view", icon=":material/groups:", url_path="meeting"),
        st.Page("views/audit.py", title="Audit trail", icon=":material/history:", url_path="audit"),
    ],
    "Data": [
        st.Page("views/data_status.py", title="Data and imports", icon=":material/database:",
                url_path="data"),
    ],
    "Administration": [
        st.Page("views/users.py", title="Users", icon=":material/group:", url_path="users"),
        st.Page("views/access_log.py", title="Access log", icon=":material/lock:", url_path="access-log"),
    ],
}

DECLARED = [page for group in PAGES.values() for page in group]
# Once per process: each page's modules imported in the background, the home page's first (menu order).
preload.start(DECLARED)

# One flat menu (the groups above only order it): Streamlit 1.67 renders menu sections as <div>s inside the
# <ul>, which axe-core reports as serious list/listitem violations (screen readers mis-announce the menu).
person = auth.signed_in()  # never raises: logged out, expired or unmapped -> None
page = st.navigation(auth.pages_for(person, DECLARED))
if person is not None:
    preload.wait(page)  # a fresh server: until the page's modules are imported
    auth.sidebar(person)
    # Imported after the menu is declared: a failure here can never bring back the auto-discovered menu.
    from ui.freshness import show_data_age

    show_data_age()  # "Ofsted data as at ..." and its age on every page; a warning when over two months old
if person is None:
    page.run()  # the sign-in form: never queued behind signed-in pages
else:
    with admission.page_slot():  # at most CONCURRENT_PAGE_RUNS pages at once, first come first served
        page.run()
