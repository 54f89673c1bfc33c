"""The archive: the record of a person who left the service (retired, resigned, dismissed, died, moved out of the
province or to the Party bloc) is kept read-only, still found by those entitled, never deleted (Quảng Ngãi Đ9.5,
Kon Tum Đ12.3). Every write to a record (the CV draft, an update, a document, HR's correction) asks
`refuse_archived` first."""
from models import Person
from models.transfers import LEAVING_REASONS
from services.errors import Conflict


def is_archived(person: Person) -> bool:
    return person.status == "archived"


def reason_label(person: Person) -> str:
    return LEAVING_REASONS.get(person.leave_reason or "", person.leave_reason or "")


def archived_note(person: Person) -> str:
    """«Hồ sơ đã lưu trữ (Nghỉ hưu từ 01/03/2026)»: why and since when, as far as the record says."""
    label = reason_label(person)
    since = f"từ {person.left_on:%d/%m/%Y}" if person.left_on else ""
    detail = " ".join(part for part in (label, since) if part)
    return f"Hồ sơ đã lưu trữ ({detail})" if detail else "Hồ sơ đã lưu trữ"


def refuse_archived(person: Person) -> None:
    """409 `person_archived` for any change to an archived record."""
    if is_archived(person):
        raise Conflict(f"{archived_note(person)}: hồ sơ chỉ để tra cứu, không sửa, cập nhật hay đính kèm tài liệu "
                       "được nữa.", "person_archived", person_id=person.id)
