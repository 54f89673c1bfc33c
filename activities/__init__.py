"""All I/O of the workflows. Activities have stable dotted names so replays and tests bind to them."""
from core.config import Settings
from core.db import Database


def all_activities(db: Database, settings: Settings, client=None) -> list:
    from activities.approvals import ApprovalActivities
    from activities.arrivals import ArrivalActivities
    from activities.audit import AuditActivities
    from activities.backups import BackupActivities
    from activities.deadlines import DeadlineActivities
    from activities.exports import ExportActivities
    from activities.mergers import MergerActivities
    from activities.national_db import NationalDbActivities
    from activities.people import PeopleActivities
    from activities.retirement import RetirementActivities
    from activities.tasks import TaskActivities
    from activities.transfers import TransferActivities

    groups = [group(db, settings, client) for group in (
        DeadlineActivities, TaskActivities, PeopleActivities, ApprovalActivities, NationalDbActivities,
        ExportActivities, MergerActivities, ArrivalActivities, TransferActivities)]
    groups.append(AuditActivities(db, settings, client))  # the audit log's daily chain check
    groups.append(BackupActivities(db, settings, client))  # the monthly backup
    groups.append(RetirementActivities(db, settings, client))  # retirement: plan, leaving, the daily scan
    from activities.reports import ReportActivities
    groups.append(ReportActivities(db, settings, client))  # periodic reports: the round's plan
    return [fn for group in groups for fn in group.functions()]
