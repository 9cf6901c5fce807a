from .case import CaseFile
from .roster import Certificate, Roster

__all__ = ["CaseFile", "Certificate", "Roster"]
