"""Deployment settings, read from the environment (and a `.env` file) by pydantic-settings."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    #: SQLAlchemy URL; default is the embedded SQLite file built from the bundled data.
    database_url: str = f"sqlite:///{DATA_DIR / 'app.db'}"
    #: Local authority shown by default (Ofsted "Local authority" name); empty = first alphabetically.
    default_la: str = ""
    #: Pupil-derived counts at or below this are suppressed in member-facing and exported outputs.
    suppression_threshold: int = 5
    #: Members may see named-school risk scores only if this is switched on.
    members_see_school_risk: bool = False
    #: Idle minutes after which a dashboard session must sign in again.
    session_timeout_minutes: int = 60
    #: Tests only: the date taken as today by `today()` (ISO, e.g. 2026-06-15); unset = the real date.
    today: date | None = Field(default=None, validation_alias="ANALYTICS_TODAY")
    #: Hours after sign-in at which a dashboard session ends, however active.
    session_hours: float = 12
    #: Failed sign-ins in a row that lock a local account, and for how long.
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    #: Page runs the server works on at once; more wait their turn in arrival order (0 = no limit).
    concurrent_page_runs: int = Field(default=2, ge=0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def today() -> date:
    """Today's date, for how old the data are (`ANALYTICS_TODAY` fixes it in tests)."""
    return get_settings().today or date.today()
