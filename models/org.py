from datetime import date

from sqlmodel import Field, SQLModel

# Unit kinds as provinces are organised since 01/07/2025 (no district level).
UNIT_KINDS = {
    "ubnd_tinh": "Ủy ban nhân dân tỉnh",
    "so": "Sở và tương đương",
    "chi_cuc": "Chi cục và tương đương",
    "phong": "Phòng, ban thuộc cơ quan",
    "dvsn": "Đơn vị sự nghiệp công lập",
    "xa": "Xã",
    "phuong": "Phường",
}


class Unit(SQLModel, table=True):
    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: int | None = Field(default=None, foreign_key="units.id")
