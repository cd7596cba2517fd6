"""The domain's models, one module per concept."""

from .checklists import (
    AnswerType,
    ChecklistItem,
    ChecklistTemplate,
    Measure,
    Severity,
    TemplateStatus,
    Theme,
)
from .credentials import Credential, CredentialKind
from .housing import Bedroom, HousingLocation, LocationKind, LocationStatus
from .inspections import (
    Answer,
    FeedRemoval,
    Finding,
    Inspection,
    InspectionKind,
    InspectionStatus,
    Photo,
    PhotoReference,
    Submission,
    Violation,
    ViolationStatus,
)
from .norms import NormProfile, NormProfileAssignment
from .occupancy import (
    OccupancyDeclaration,
    OccupancyObservation,
    RegisteredOccupancy,
    RegisteredOccupancyImport,
)
from .organisations import Organisation, OrganisationMembership, OrganisationStatus
from .planning import (
    Absence,
    CalendarFeed,
    Plan,
    PlannedVisit,
    PlanningBase,
    PlanStatus,
    VisitReason,
    WorkingHours,
)
from .risk import RiskFactor, RiskWeight

__all__ = [
    "Absence",
    "Answer",
    "AnswerType",
    "Bedroom",
    "CalendarFeed",
    "ChecklistItem",
    "ChecklistTemplate",
    "Credential",
    "CredentialKind",
    "FeedRemoval",
    "Finding",
    "HousingLocation",
    "Inspection",
    "InspectionKind",
    "InspectionStatus",
    "LocationKind",
    "LocationStatus",
    "Measure",
    "NormProfile",
    "NormProfileAssignment",
    "OccupancyDeclaration",
    "OccupancyObservation",
    "Organisation",
    "OrganisationMembership",
    "OrganisationStatus",
    "Photo",
    "PhotoReference",
    "Plan",
    "PlanStatus",
    "PlannedVisit",
    "PlanningBase",
    "RegisteredOccupancy",
    "RegisteredOccupancyImport",
    "RiskFactor",
    "RiskWeight",
    "Severity",
    "Submission",
    "TemplateStatus",
    "Theme",
    "Violation",
    "ViolationStatus",
    "VisitReason",
    "WorkingHours",
]
