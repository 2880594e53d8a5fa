"""The app renders every declared page on the real demo data without an exception."""

from pathlib import Path

import pytest
from signin import signed_in_app

PAGES = ["views/overview.py", "views/movement.py", "views/districts.py", "views/school.py",
         "views/risk_register.py", "views/model_card.py", "views/data_status.py"]


def test_home_renders(app_env: Path) -> None:
    at = signed_in_app(timeout=60)
    assert not at.exception
    assert at.title, "the home page shows a title"


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders(app_env: Path, page: str) -> None:
    at = signed_in_app(timeout=60)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
