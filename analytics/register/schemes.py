"""The built-in categorisation schemes, evidence strands, intervention types and standing agenda (data).

Levels are listed in order of concern, least first. An entry stores a level's code; an LA may rename the
levels it shows (`analytics.register.settings`), so codes never change meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Level:
    code: str
    label: str
    description: str


@dataclass(frozen=True)
class Scheme:
    name: str
    title: str
    levels: tuple[Level, ...]
    stages: tuple[Level, ...] = ()
    #: Changes into, out of or between these levels need a review meeting first (except a first entry).
    review_meeting_levels: frozenset[str] = frozenset()
    #: The level reserved for an Ofsted category of concern (held until Ofsted removes the category).
    ofsted_category_level: str | None = None
    #: The level for a school the LA has issued a warning notice.
    warning_notice_level: str | None = None
    #: Schools of most concern (half-termly review meetings; flagged when none for six months).
    most_concern_levels: frozenset[str] = frozenset()
    most_concern_stages: frozenset[str] = frozenset()
    notes: tuple[str, ...] = field(default=())

    @property
    def codes(self) -> list[str]:
        return [level.code for level in self.levels]

    @property
    def stage_codes(self) -> list[str]:
        return [stage.code for stage in self.stages]

    def rank(self, code: str | None) -> int | None:
        """Position in order of concern (0 = least), None for an unknown code."""
        return self.codes.index(code) if code in self.codes else None

    def level(self, code: str) -> Level:
        return next(level for level in self.levels if level.code == code)

    def stage(self, code: str) -> Level:
        return next(stage for stage in self.stages if stage.code == code)

    @property
    def lowest(self) -> str:
        return self.levels[0].code

    def of_concern(self, level: str | None, stage: str | None = None) -> bool:
        """On the register proper: above the lowest level, or given a stage of concern."""
        return (level is not None and level != self.lowest) or bool(stage)

    def most_concern(self, level: str | None, stage: str | None = None) -> bool:
        return level in self.most_concern_levels or (stage is not None and stage in self.most_concern_stages)


SUPPORT_LEVELS = Scheme(
    name="support-levels",
    title="Support levels: Universal / Targeted / Intensive (Oldham)",
    levels=(
        Level("Universal", "Universal (green)", "No significant concerns: the universal offer."),
        Level(
            "Targeted",
            "Targeted (amber)",
            "Any of: judged Requires improvement or at risk of it; progress not consistently above national "
            "over three years; attainment or progress near the coasting standard; teaching not consistently "
            "good; leadership, governance, safeguarding, finance or self-evaluation not consistently "
            "effective; weak partnership links; attendance not consistently good.",
        ),
        Level(
            "Intensive",
            "Intensive (red)",
            "Any of: serious weaknesses or special measures, or at risk of it; progress inadequate over "
            "three "
            "years; attainment near the floor; insufficient good teaching; leadership lacking capacity; "
            "attendance inadequate.",
        ),
    ),
    most_concern_levels=frozenset({"Intensive"}),
)

CATEGORIES = Scheme(
    name="categories",
    title="Categories 1-4 (Telford & Wrekin)",
    levels=(
        Level("1", "Category 1", "No significant issues."),
        Level(
            "2",
            "Category 2",
            "Has not met two or more criteria in strands 1-4 (or exceptional strand-5 circumstances).",
        ),
        Level(
            "3",
            "Category 3",
            "In category 2 for twelve months without the expected progress, or serious concerns.",
        ),
        Level("4a", "Category 4a", "The LA has issued a warning notice."),
        Level(
            "4b",
            "Category 4b",
            "Ofsted serious weaknesses or special measures (stays in 4b until Ofsted removes the category).",
        ),
    ),
    review_meeting_levels=frozenset({"3", "4a", "4b"}),
    ofsted_category_level="4b",
    warning_notice_level="4a",
    most_concern_levels=frozenset({"3", "4a", "4b"}),
    notes=("Category 3/4 changes are made only after a review meeting, except a school's first entry.",),
)

STAGES = Scheme(
    name="stages-of-concern",
    title="Stages of concern beside LA category 1-4 (Staffordshire)",
    levels=(
        Level("1", "Category 1", "No significant concerns."),
        Level("2", "Category 2", "Some concerns in one or more evidence strands."),
        Level("3", "Category 3", "Serious concerns."),
        Level("4", "Category 4", "Ofsted category of concern (serious weaknesses or special measures)."),
    ),
    stages=(
        Level("1", "Stage 1: watching brief", "Monitoring only."),
        Level("2", "Stage 2: light touch", "Light-touch support."),
        Level("3", "Stage 3: intensive programme", "An intensive programme of support."),
    ),
    ofsted_category_level="4",
    most_concern_levels=frozenset({"4"}),
    most_concern_stages=frozenset({"3"}),
)

SCHEMES: dict[str, Scheme] = {s.name: s for s in (SUPPORT_LEVELS, CATEGORIES, STAGES)}
DEFAULT_SCHEME = SUPPORT_LEVELS.name


def find_scheme(name: str | None) -> Scheme | None:
    """A scheme by its name or title, case-insensitive."""
    wanted = (name or "").strip().casefold()
    return next((s for s in SCHEMES.values() if wanted in (s.name, s.title.casefold())), None)


def find_code(options: list[Level], text: str | None, renamed: dict[str, str] | None = None) -> str | None:
    """A level (or stage) code from its code, built-in label or the LA's own name, case-insensitive."""
    wanted = (text or "").strip().casefold()
    renamed = renamed or {}
    for option in options:
        names = {option.code, option.label, renamed.get(option.code, "")}
        if wanted and wanted in {n.casefold() for n in names if n}:
            return option.code
    return None


@dataclass(frozen=True)
class Strand:
    key: str
    title: str
    covers: str


STRANDS: tuple[Strand, ...] = (
    Strand("achievement", "Pupils' achievement", "attainment, progress, trend, gaps between groups"),
    Strand("behaviour", "Behaviour and safety", "attendance, exclusions"),
    Strand("teaching", "Quality of teaching", "quality of teaching and the curriculum"),
    Strand("leadership", "Leadership and management", "governance, finance, complaints, safeguarding"),
    Strand(
        "organisation",
        "Organisational change and temporary situations",
        "leadership changes, staff turnover, falling or rising roll, reorganisation, building works, "
        "serious incidents",
    ),
)
STRAND_TITLES = {s.key: s.title for s in STRANDS}


def find_strand(text: str) -> str | None:
    wanted = text.strip().casefold()
    return next((s.key for s in STRANDS if wanted in (s.key, s.title.casefold())), None)


INTERVENTION_TYPES: tuple[str, ...] = (
    "Adviser / SIL visits",
    "School-to-school support",
    "Local leader of education",
    "National leader of education",
    "Governance review",
    "Team Around the School",
    "Task group",
    "Raising achievement plan",
    "Warning notice",
    "Interim executive board",
    "Additional governors",
    "Suspension of the delegated budget",
    "Structural solution",
)
FUNDERS = ("LA fund", "School budget")
STATUSES = ("planned", "active", "completed", "withdrawn")
CLOSED_STATUSES = ("completed", "withdrawn")
DEFAULT_DAY_RATE = 480.0

STANDING_AGENDA: tuple[str, ...] = (
    "HR",
    "Finance",
    "Improvement plan",
    "Evidence from monitoring",
    "Pupil progress",
    "Attendance",
    "Exclusions",
    "Leadership concerns",
    "Exit strategy",
)


def describe() -> list[dict[str, Any]]:
    """Every scheme as plain data (the CLI's `register schemes`): levels in order of concern, least first."""
    return [
        {
            "name": s.name,
            "title": s.title,
            "levels": s.codes,
            "labels": [level.label for level in s.levels],
            "descriptions": [level.description for level in s.levels],
            "stages": s.stage_codes,
            "stage_labels": [stage.label for stage in s.stages],
            "review_meeting_levels": sorted(s.review_meeting_levels),
            "notes": list(s.notes),
        }
        for s in SCHEMES.values()
    ]
