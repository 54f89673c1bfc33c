"""All I/O of the workflows. Activities have stable dotted names so replays and tests bind to them."""
from core.config import Settings
from core.db import Database


def all_activities(db: Database, settings: Settings) -> list:
    from activities.deadlines import DeadlineActivities
    from activities.people import PeopleActivities
    from activities.tasks import TaskActivities

    groups = [DeadlineActivities(db, settings), TaskActivities(db, settings), PeopleActivities(db, settings)]
    return [fn for group in groups for fn in group.functions()]
