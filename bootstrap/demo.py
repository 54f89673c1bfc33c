"""The demo province: a unit tree as provinces are organised since 01/07/2025 (no district level),
one HR official and one head per unit, Sở Nội vụ's admin and director, an auditor."""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import RoleGrant, Unit, User
from services.auth import hash_secret

# (code, name, kind, parent code)
UNITS = [
    ("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", "ubnd_tinh", None),
    ("SNV", "Sở Nội vụ", "so", "QNG"),
    ("SYT", "Sở Y tế", "so", "QNG"),
    ("SYT-DS", "Chi cục Dân số", "chi_cuc", "SYT"),
    ("SYT-BV", "Bệnh viện Đa khoa tỉnh", "dvsn", "SYT"),
    # departments (phòng) of Sở Y tế: no HR or head of their own, Sở Y tế's act for them
    ("SYT-VP", "Văn phòng Sở Y tế", "phong", "SYT"),
    ("SYT-NVY", "Phòng Nghiệp vụ Y", "phong", "SYT"),
    ("SGD", "Sở Giáo dục và Đào tạo", "so", "QNG"),
    ("SGD-LK", "Trường THPT Lê Khiết", "dvsn", "SGD"),
    ("STC", "Sở Tài chính", "so", "QNG"),
    ("P-CT", "Phường Cẩm Thành", "phuong", "QNG"),
    ("P-KT", "Phường Kon Tum", "phuong", "QNG"),
    ("X-BS", "Xã Bình Sơn", "xa", "QNG"),
]
# HR official and head per unit: (hr full name, head full name)
STAFF = {
    "QNG": ("Trần Thị Hoa", "Nguyễn Văn Bình"),
    "SNV": ("Lê Thị Mai", "Phạm Văn Đức"),
    "SYT": ("Võ Thị Lan", "Huỳnh Văn Tâm"),
    "SYT-DS": ("Đặng Thị Thu", "Bùi Văn Hải"),
    "SYT-BV": ("Ngô Thị Hạnh", "Đỗ Văn Phúc"),
    "SGD": ("Phan Thị Ngọc", "Trương Văn Sơn"),
    "SGD-LK": ("Lý Thị Hồng", "Hồ Văn Nam"),
    "STC": ("Mai Thị Dung", "Tạ Văn Long"),
    "P-CT": ("Châu Thị Yến", "Lâm Văn Quang"),
    "P-KT": ("A Thị Blông", "Y Văn Hơ"),
    "X-BS": ("Nguyễn Thị Sen", "Lê Văn Hòa"),
}
# Deputy heads (cấp phó), who sign only with a written delegation from their unit's head: (login, name, unit)
DEPUTIES = [("pho.syt", "Phan Văn Khoa", "SYT"), ("pho.sgd", "Lê Thị Thảo", "SGD")]
PROVINCE_USERS = [
    ("sonoivu", "Quản trị Sở Nội vụ", "SNV", "sonoivu_admin"),
    ("giamdoc.snv", "Giám đốc Sở Nội vụ", "SNV", "sonoivu_director"),
    ("thanhtra", "Thanh tra Sở Nội vụ", "SNV", "auditor"),
]


DEMO_MAIL_DOMAIN = "demo.hoso.local"


class DemoRefused(RuntimeError):
    """Demo data was asked for in production."""


PROD_REFUSAL = ("refusing to seed the demo province because HOSO_ENV=prod. The demo creates staff accounts "
                "that share one known password and fictitious people. Seed demo data only in development "
                "(HOSO_ENV unset or dev); in production, create units and accounts through the application.")


def refuse_in_prod(settings: Settings) -> None:
    """Raise DemoRefused when the settings are production's."""
    if settings.is_prod:
        raise DemoRefused(PROD_REFUSAL)


def login_of(code: str, role: str) -> str:
    return f"{'hr' if role == 'unit_hr' else 'head'}.{code.lower()}"


@dataclass
class DemoOrg:
    units: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)


async def seed_org(session: AsyncSession, password: str) -> DemoOrg:
    """Create the unit tree and the staff accounts once; return their ids."""
    result = DemoOrg()
    existing = {u.code: u for u in (await session.execute(select(Unit))).scalars()}
    for code, name, kind, parent in UNITS:
        unit = existing.get(code)
        if unit is None:
            unit = Unit(code=code, name=name, kind=kind, parent_id=result.units.get(parent) if parent else None)
            session.add(unit)
            await session.flush()
        result.units[code] = unit.id
    hashed = hash_secret(password)
    accounts = [(login_of(code, role), names[0 if role == "unit_hr" else 1], code, role)
                for code, names in STAFF.items() for role in ("unit_hr", "unit_head")]
    deputies = [(username, full_name, code, None) for username, full_name, code in DEPUTIES]  # no role of their own
    for username, full_name, code, role in accounts + PROVINCE_USERS + deputies:
        user = (await session.execute(select(User).where(User.username == username))).scalars().first()
        if user is None:
            user = User(username=username, full_name=full_name, unit_id=result.units[code], password_hash=hashed,
                        email=f"{username}@{DEMO_MAIL_DOMAIN}")
            session.add(user)
            await session.flush()
            if role is not None:
                grant_unit = result.units[code] if role in ("unit_hr", "unit_head") else None
                session.add(RoleGrant(user_id=user.id, role=role, unit_id=grant_unit))
        result.users[username] = user.id
    await session.flush()
    return result


def demo_logins() -> list[tuple[str, str]]:
    """(login, who) for the README and `make run`'s banner."""
    rows = [(u, f"{name} ({role})") for u, name, _, role in PROVINCE_USERS]
    names = dict((c, n) for c, n, _, _ in UNITS)
    for code in STAFF:
        rows.append((login_of(code, "unit_hr"), f"Cán bộ tổ chức — {names[code]}"))
        rows.append((login_of(code, "unit_head"), f"Thủ trưởng — {names[code]}"))
    rows += [(login, f"{name}, cấp phó — {names[code]} (ký khi được ủy quyền)") for login, name, code in DEPUTIES]
    from bootstrap import demo_lifecycle, demo_oversight  # the people of the demo's later processes
    return rows + demo_lifecycle.LOGINS + demo_oversight.LOGINS
