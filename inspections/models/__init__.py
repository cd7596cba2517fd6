"""The domain's models, one module per concept."""

from .credentials import Credential, CredentialKind
from .housing import Bedroom, HousingLocation, LocationKind, LocationStatus
from .norms import NormProfile, NormProfileAssignment
from .occupancy import (
    OccupancyDeclaration,
    OccupancyObservation,
    RegisteredOccupancy,
    RegisteredOccupancyImport,
)
from .organisations import Organisation, OrganisationMembership, OrganisationStatus

__all__ = [
    "Bedroom",
    "Credential",
    "CredentialKind",
    "HousingLocation",
    "LocationKind",
    "LocationStatus",
    "NormProfile",
    "NormProfileAssignment",
    "OccupancyDeclaration",
    "OccupancyObservation",
    "Organisation",
    "OrganisationMembership",
    "OrganisationStatus",
    "RegisteredOccupancy",
    "RegisteredOccupancyImport",
]
