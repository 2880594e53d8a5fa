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


# ---------------------------------------------------------------------------------------------------------
# Schools Causing Concern register (issue 10). Written only by `analytics.register`, never by importers, so
# it survives every data import and `init-demo` re-run. URNs are checked against `school` when written (no
# foreign key, so an importer can never be blocked by the register). Timestamps are aware UTC.
# ---------------------------------------------------------------------------------------------------------


class RegisterEntry(SQLModel, table=True):
    """One LA categorisation decision. Append-only: a change is a new row, the latest version is current."""

    __tablename__ = "register_entry"
    __table_args__ = (UniqueConstraint("urn", "version", name="uq_register_entry_version"),)
    id: int | None = Field(default=None, primary_key=True)
    urn: int = Field(index=True)
    version: int = Field(description="1, 2, ... per school: the optimistic lock (a stale writer collides)")
    scheme: str
    level: str = Field(description="level code of the scheme (labels may be renamed per LA)")
    stage: str | None = None
    strands: str = Field(default="[]", description="JSON list of evidence strand keys")
    reason: str
    effective_date: date
    next_review: date | None = None
    set_by: str
    recorded_at: datetime
    source: str = Field(default="manual", description="manual / first register / import")


class RegisterIntervention(SQLModel, table=True):
    __tablename__ = "register_intervention"
    id: int | None = Field(default=None, primary_key=True)
    urn: int = Field(index=True)
    type: str
    lead_officer: str
    start_date: date
    planned_days: float
    used_days: float = 0.0
    day_rate: float = Field(description="GBP per officer day")
    other_cost: float = Field(default=0.0, description="GBP beyond officer days (commissioned support...)")
    funded_by: str = Field(description="LA fund / school budget")
    status: str = Field(description="planned / active / completed / withdrawn")
    end_date: date | None = None
    outcome: str | None = None
    version: int = 1
    created_by: str
    created_at: datetime


class RegisterNote(SQLModel, table=True):
    """A note of visit (append-only)."""

    __tablename__ = "register_note"
    id: int | None = Field(default=None, primary_key=True)
    urn: int = Field(index=True)
    intervention_id: int | None = Field(default=None, foreign_key="register_intervention.id")
    visit_date: date
    author: str
    text: str
    recorded_at: datetime


class RegisterReview(SQLModel, table=True):
    """A review meeting about one school (half-termly for the schools of most concern)."""

    __tablename__ = "register_review"
    id: int | None = Field(default=None, primary_key=True)
    urn: int = Field(index=True)
    meeting_date: date
    attendees: str
    agenda: str = Field(default="{}", description="JSON: standing agenda item -> notes")
    decisions: str
    next_date: date | None = None
    version: int = 1
    recorded_by: str
    recorded_at: datetime


class RegisterMeeting(SQLModel, table=True):
    """A monthly Schools Causing Concern meeting of an LA (the meeting view compares the register with it)."""

    __tablename__ = "register_meeting"
    __table_args__ = (UniqueConstraint("la_name", "meeting_date", name="uq_register_meeting"),)
    id: int | None = Field(default=None, primary_key=True)
    la_name: str = Field(index=True)
    meeting_date: date
    recorded_by: str
    recorded_at: datetime


class RegisterSetting(SQLModel, table=True):
    """Register configuration per LA ('' = every LA): scheme, level names, day rate, intervention types."""

    __tablename__ = "register_setting"
    la_name: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str = Field(description="JSON")
    updated_by: str
    updated_at: datetime


class RegisterAudit(SQLModel, table=True):
    """Append-only audit trail: one row per change, written in the change's own transaction."""

    __tablename__ = "register_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    by: str
    entity: str = Field(description="entry / intervention / note / review / meeting / setting / import")
    entity_id: int | None = None
    urn: int | None = Field(default=None, index=True)
    la_name: str | None = Field(default=None, index=True)
    action: str = Field(description="create / update")
    what: str
    old_value: str | None = Field(default=None, description="JSON of the changed fields before")
    new_value: str | None = Field(default=None, description="JSON of the changed fields after")
    reason: str | None = None


class Account(SQLModel, table=True):
    """A person who may sign in: role and scope (LA, districts, school), argon2 hash, lock-out state.

    Production sign-in (OIDC) maps the identity's email to an account; such accounts may have no password.
    """

    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True)
    role: str = Field(description="director / dsim / member / headteacher / analyst / admin")
    la_name: str | None = Field(default=None, description="None = every LA in the store")
    districts: str | None = Field(default=None, description="JSON list of district names (dsim)")
    urn: int | None = Field(default=None, description="the headteacher's school")
    memorandum_signed: bool = False
    password_hash: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime
    updated_at: datetime


class AccessLog(SQLModel, table=True):
    """Who did what when: login, failed login, export, denied, sign-out."""

    __tablename__ = "access_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    email: str = Field(index=True)
    event: str = Field(description="login / failed login / locked / export / denied / logout")
    detail: str | None = None
