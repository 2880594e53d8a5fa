"""SQLModel tables of the store.

Natural keys carry the upserts: schools by URN, inspections by Ofsted inspection number (or URN + start date
for the scraped history, which has no numbers), context values by URN + academic year + measure.
Grades are stored exactly as published: 1-4 on the 2005-2024 frameworks, report-card words from November 2025.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class LocalAuthorityBase(SQLModel):
    name: str = Field(index=True, unique=True)
    code: int | None = Field(default=None, description="DfE three-digit LA number")
    region: str | None = None


class LocalAuthority(LocalAuthorityBase, table=True):
    __tablename__ = "local_authority"
    id: int | None = Field(default=None, primary_key=True)


class SchoolBase(SQLModel):
    laestab: int | None = None
    name: str
    la_name: str | None = Field(default=None, index=True)
    region: str | None = None
    constituency: str | None = None
    phase: str | None = None
    school_type: str | None = None
    type_group: str | None = Field(default=None, description="Maintained school / Academy converter / ...")
    trust_uid: int | None = None
    trust_name: str | None = None
    postcode: str | None = None
    pupils: int | None = None
    idaci_quintile: int | None = None
    open_date: date | None = None
    is_open: bool = True
    latest_graded_number: str | None = Field(
        default=None, description="Ofsted's pointer, predecessor included"
    )
    previous_graded_number: str | None = None
    latest_ungraded_number: str | None = None
    ungraded_since_graded: int | None = None
    monitoring_since_graded: int | None = None
    warning_notices_2024_25: int | None = None
    as_at: date | None = Field(default=None, description="Date of the release that last listed the school")
    status_as_at: date | None = Field(
        default=None, description="Date of the release that last set is_open (open, closed or superseded)"
    )


class School(SchoolBase, table=True):
    urn: int = Field(primary_key=True)


class InspectionBase(SQLModel):
    inspection_number: str | None = Field(default=None, unique=True)
    urn: int = Field(index=True, description="URN of the school at the time of the inspection")
    laestab: int | None = None
    school_name: str | None = None
    school_type: str | None = None
    start_date: date = Field(index=True)
    publication_date: date | None = None
    inspection_type: str | None = None
    type_grouping: str | None = None
    is_graded: bool
    framework: str
    overall_effectiveness: int | None = None
    category_of_concern: str | None = None
    quality_of_education: int | None = None
    behaviour_and_attitudes: int | None = None
    personal_development: int | None = None
    leadership_and_management: int | None = None
    safeguarding_effective: bool | None = None
    early_years: int | None = None
    sixth_form: int | None = None
    ungraded_outcome: str | None = None
    converted_to_graded: bool | None = None
    # Report cards (from 10 Nov 2025): kept on their own five-level scale, never coerced onto 1-4.
    rc_inclusion: str | None = None
    rc_curriculum_and_teaching: str | None = None
    rc_achievement: str | None = None
    rc_attendance_and_behaviour: str | None = None
    rc_personal_development: str | None = None
    rc_leadership_and_governance: str | None = None
    rc_early_years: str | None = None
    rc_sixth_form: str | None = None
    rc_safeguarding_met: bool | None = None
    # Each report-card area keeps the date of its own grade (a later visit may re-grade one area).
    rc_inclusion_date: date | None = None
    rc_curriculum_and_teaching_date: date | None = None
    rc_achievement_date: date | None = None
    rc_attendance_and_behaviour_date: date | None = None
    rc_personal_development_date: date | None = None
    rc_leadership_and_governance_date: date | None = None
    rc_early_years_date: date | None = None
    rc_sixth_form_date: date | None = None
    rc_safeguarding_date: date | None = None
    category_derived: bool | None = Field(
        default=None, description="True: category of concern derived from the area grades, not published"
    )
    source: str = Field(description="publication the row came from")
    release_as_at: date | None = Field(
        default=None, description="As-at date of the newest release that stated this inspection"
    )
    first_import_id: int | None = Field(
        default=None, description="import_log row that first recorded the inspection"
    )


class Inspection(InspectionBase, table=True):
    __table_args__ = (UniqueConstraint("urn", "start_date", "is_graded", name="uq_inspection_urn_date"),)
    id: int | None = Field(default=None, primary_key=True)


class SchoolLink(SQLModel, table=True):
    """GIAS establishment links: predecessor/successor URNs (academy conversion, amalgamation...)."""

    __tablename__ = "school_link"
    urn: int = Field(primary_key=True)
    link_urn: int = Field(primary_key=True, index=True)
    link_type: str = Field(primary_key=True)
    link_name: str | None = None
    link_date: date | None = None


class ContextValue(SQLModel, table=True):
    """One school-level measure for one academic year (year = calendar year in which it ends).

    Long format so every DfE file fills its own measures; suppressed cells are NULL with `suppressed` set.
    """

    __tablename__ = "context_value"
    urn: int = Field(primary_key=True)
    year: int = Field(primary_key=True)
    measure: str = Field(primary_key=True)
    value: float | None = None
    suppressed: bool = False
    source: str


class District(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("scheme", "la_name", "name", name="uq_district"),)
    id: int | None = Field(default=None, primary_key=True)
    scheme: str = Field(description="'constituency' (default) or the name of an imported mapping")
    la_name: str | None = None
    name: str


class SchoolDistrict(SQLModel, table=True):
    __tablename__ = "school_district"
    scheme: str = Field(primary_key=True)
    urn: int = Field(primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)


class ImportLog(SQLModel, table=True):
    __tablename__ = "import_log"
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    file_name: str
    sha256: str = Field(index=True)
    rows_read: int
    rows_inserted: int
    rows_updated: int
    as_at: date | None = None
    imported_at: datetime
    imported_by: str | None = None


class StatNeighbour(SQLModel, table=True):
    """DfE children's services statistical neighbours: each LA's ten closest comparators (LAIT)."""

    __tablename__ = "stat_neighbour"
    la_code: int = Field(primary_key=True, description="DfE three-digit LA number")
    rank: int = Field(primary_key=True, description="1 = closest")
    neighbour_code: int = Field(index=True)
    closeness: str | None = Field(default=None, description="Extremely close / Very close / Close / ...")


class LaIndicator(SQLModel, table=True):
    """LAIT indicator values per LA, region or England (codes 970-990), as published per year label."""

    __tablename__ = "la_indicator"
    la_code: int = Field(primary_key=True)
    indicator: str = Field(primary_key=True, description="LAIT short code, e.g. KS2RWM_Expected_STD")
    year_label: str = Field(primary_key=True, description="as published: 2023, 2018-19, 2023/24, 2019 (Rev)")
    value: float | None = None


class DerivedFrame(SQLModel, table=True):
    """A national frame computed from the store once per data version (read model: see analytics.derived).

    Stored as Parquet so every replica serves the same frame without recomputing it on a page view.
    """

    __tablename__ = "derived_frame"
    name: str = Field(primary_key=True)
    data_version: int = Field(primary_key=True)
    created_at: datetime
    payload: bytes = Field(sa_type=LargeBinary)


# --- Early-warning model (issues 9, 13, 16): the fitted model and every open school's score, per training run


class RiskModel(SQLModel, table=True):
    """One trained early-warning model: the serialized estimator, its sha256 (checked before loading) and its
    metadata (backtests, coefficients, reliability), tied to the data version and scikit-learn version."""

    __tablename__ = "risk_model"
    id: int | None = Field(default=None, primary_key=True)
    trained_at: datetime
    data_version: int = Field(index=True, description="analytics.store.data_version when trained")
    sklearn_version: str
    kind: str = Field(description="the candidate chosen by validation")
    sha256: str = Field(description="sha256 of `model`, recorded at training time")
    model: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    meta_json: str = Field(sa_column=Column(Text, nullable=False))


class RiskScore(SQLModel, table=True):
    """Risk of RI or Inadequate at the next graded inspection for one open school, from one trained model."""

    __tablename__ = "risk_score"
    model_id: int = Field(
        sa_column=Column(Integer, ForeignKey("risk_model.id", ondelete="CASCADE"), primary_key=True)
    )
    urn: int = Field(primary_key=True)
    risk: float
    risk_low: float | None = Field(default=None, description="likely range: observed rate of similar scores")
    risk_high: float | None = None
    band: str
    national_share: float = Field(description="share of England's scored schools scoring at least as high")
    drivers: str
    caution: str | None = Field(default=None, description="why this school's group is ranked poorly")
    prev_grade: float | None = None
    years_since_prev: float | None = None
