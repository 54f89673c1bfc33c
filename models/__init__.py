"""SQLModel tables, one module per domain. Importing this package registers every table."""
from models.accounts import RoleGrant, User
from models.approvals import (Approval, ApprovalItem, Delegation, PreparedDocument, SignedDocument, SignedExport,
                              SyncOutbox)
from models.documents import Attachment, RevisionChange
from models.audit import AuditEvent
from models.calendar import CalendarOverride
from models.notify import Notification
from models.org import Unit
from models.people import Person, ProfileRevision
from models.tasks import Task, TaskCandidate
from models.transfers import Merger, MergerMove, Placement, Transfer
from models.reports import Report  # periodic reports (issue 7, item 4)

__all__ = [
    "Approval", "ApprovalItem", "Attachment", "Delegation", "RevisionChange", "SyncOutbox",
    "AuditEvent", "CalendarOverride", "Notification", "Person", "ProfileRevision",
    "Merger", "MergerMove", "Placement", "PreparedDocument", "RoleGrant", "SignedDocument", "SignedExport", "Task", "TaskCandidate",
    "Transfer", "Unit", "User",
    "Report",
]
