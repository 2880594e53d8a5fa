"""Entry point: navigation first and unconditionally (see ENGINEERING-NOTES), the data-age line, the page."""

import streamlit as st

st.set_page_config(page_title="School improvement oversight", page_icon=":material/school:", layout="wide")

PAGES = {
    "County": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/movement.py", title="Movement", icon=":material/swap_vert:", url_path="movement"),
        st.Page("pages/districts.py", title="Districts", icon=":material/map:", url_path="districts"),
    ],
    "Schools": [
        st.Page("pages/school.py", title="School drilldown", icon=":material/search:", url_path="school"),
        st.Page("pages/risk_register.py", title="Risk register", icon=":material/warning:", url_path="risk"),
        st.Page("pages/model_card.py", title="Model card", icon=":material/analytics:", url_path="model"),
    ],
    "Register": [
        st.Page("pages/register.py", title="Register", icon=":material/fact_check:", url_path="register"),
        st.Page("pages/meeting.py", title="Meeting view", icon=":material/groups:", url_path="meeting"),
        st.Page("pages/audit.py", title="Audit trail", icon=":material/history:", url_path="audit"),
    ],
    "Data": [
        st.Page("pages/data_status.py", title="Data and imports", icon=":material/database:",
                url_path="data"),
    ],
}

# One flat menu (the groups above only order it): Streamlit 1.67 renders menu sections as <div>s inside the
# <ul>, which axe-core reports as serious list/listitem violations (screen readers mis-announce the menu).
current = st.navigation([page for group in PAGES.values() for page in group])

# Imported after the menu is declared, so that a failure here can never bring back the auto-discovered menu.
from ui.freshness import show_data_age  # noqa: E402

show_data_age()  # "Ofsted data as at ..." and its age on every page; a warning when over two months old
current.run()
