"""The province the benchmark builds: a unit tree of `units` units, the rows its import reads, a million tasks.

Deterministic (seeded): two runs with the same sizes build the same province.

- Units: the demo's tree (bootstrap.demo.seed_org, so bench.onboarding's driver finds its units and logins)
  grown to `units` units: more Sở, their chi cục and public service units, their departments (phòng, no HR
  of their own), schools under Sở Giáo dục, health stations under Sở Y tế, communes and wards. Every unit
  that is not a phòng gets an HR official (`hr.<code>`) and a head (`head.<code>`) with their role grants.
- People: `people` rows for services/importer.import_rows, spread over the units with a skewed weight (a few
  big hospitals, Sở and wards hold thousands, most schools and stations a few dozen), each with a valid
  citizen ID and the CV fields the demo's imported staff have.
- Tasks: inserted in bulk (INSERT … SELECT over generate_series), in proportion to each unit's headcount:
  95 % done over 5 years, 5 % open, of which 1 % of all overdue (due in the past 30 days, a fifth of them
  escalated to the head, who is then a watcher); each with the candidates the app would have given it (the
  HR of the unit, or of the nearest unit above for a phòng; the head for the month's signature).
"""
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, text

from bootstrap.demo import STAFF, UNITS as DEMO_UNITS, login_of, seed_org
from models import RoleGrant, Unit, User
from services import cv
from services.auth import hash_secret

SEED = 20260109
# share of the units added to the demo's tree, by kind: (kind, parent code or None for "a Sở added here", share)
PLAN = [("so", "QNG", 0.02), ("chi_cuc", None, 0.04), ("dvsn", None, 0.04), ("phong", None, 0.06),
        ("dvsn", "SGD", 0.45), ("dvsn", "SYT", 0.12), ("xa", "QNG", 0.19), ("phuong", "QNG", 0.08)]
NAMES = {"so": "Sở {n}", "chi_cuc": "Chi cục {n}", "dvsn": "Đơn vị sự nghiệp {n}", "phong": "Phòng {n}",
         "xa": "Xã {n}", "phuong": "Phường {n}"}
SCHOOL, STATION = "Trường {n}", "Trạm Y tế {n}"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý", "Đinh", "Trương", "Lương", "Mai"]
MIDDLE = {"nam": ["Văn", "Hữu", "Đức", "Minh", "Quang", "Công"], "nu": ["Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim"]}
GIVEN = {"nam": ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quân", "Sơn",
                 "Tâm", "Thắng", "Toàn", "Trung", "Tuấn", "Việt"],
         "nu": ["Anh", "Bích", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hồng", "Lan", "Linh", "Mai", "Nga",
                "Ngân", "Oanh", "Phương", "Thảo", "Trang", "Uyên", "Yến"]}
GRADES = ["01.003", "01.003", "01.003", "01.002", "01.004", "01.005"]  # codes of services/cv.GRADES, by share
CID_SERIAL_BASE = 100_000  # bench.onboarding's hires use serials below 100: no citizen ID is shared


@dataclass
class Province:
    units: dict[str, int] = field(default_factory=dict)       # code → id
    kinds: dict[str, str] = field(default_factory=dict)       # code → kind
    parents: dict[str, str | None] = field(default_factory=dict)
    hr: dict[str, int] = field(default_factory=dict)          # unit code → HR user id (a phòng: its parent's)
    head: dict[str, int] = field(default_factory=dict)        # unit code → head user id (a phòng: its parent's)
    weights: dict[str, float] = field(default_factory=dict)   # unit code → share of the headcount


def plan_units(total: int) -> list[tuple[str, str, str, str]]:
    """(code, name, kind, parent code) of the units added to the demo tree, `total` units in all."""
    rng = random.Random(SEED)
    extra = max(0, total - len(DEMO_UNITS))
    counts = [int(extra * share) for _, _, share in PLAN]
    counts[-2] += extra - sum(counts)  # the rounding goes to the communes
    added: list[tuple[str, str, str, str]] = []
    new_so = [f"S{i:03d}" for i in range(1, counts[0] + 1)] or ["SNV"]
    added += [(code, NAMES["so"].format(n=i), "so", "QNG") for i, code in enumerate(new_so, 1) if code != "SNV"]
    serial = 0
    for (kind, parent, _), count in zip(PLAN[1:], counts[1:]):
        for _ in range(count):
            serial += 1
            under = parent or rng.choice(new_so)
            name = (SCHOOL if under == "SGD" else STATION if under == "SYT" and kind == "dvsn" else NAMES[kind])
            added.append((f"U{serial:05d}", name.format(n=serial), kind, under))
    return added


async def build_org(session, total_units: int, password: str) -> Province:
    """The demo's tree and logins, then the added units and their HR and head, flushed."""
    org = await seed_org(session, password)
    province = Province(units=dict(org.units))
    for code, _, kind, parent in DEMO_UNITS:
        province.kinds[code], province.parents[code] = kind, parent
    hashed = hash_secret(password)
    for code, name, kind, parent in plan_units(total_units):
        unit = Unit(code=code, name=name, kind=kind, parent_id=province.units[parent])
        session.add(unit)
        await session.flush()
        province.units[code], province.kinds[code], province.parents[code] = unit.id, kind, parent
        if kind == "phong":
            continue
        for role in ("unit_hr", "unit_head"):
            user = User(username=login_of(code, role), full_name=f"{'Cán bộ tổ chức' if role == 'unit_hr' else 'Thủ trưởng'} {name}",
                        unit_id=unit.id, password_hash=hashed, email=None)
            session.add(user)
            await session.flush()
            session.add(RoleGrant(user_id=user.id, role=role, unit_id=unit.id))
    await session.flush()
    users = dict((await session.execute(select(User.username, User.id))).all())
    for code in province.units:
        holder = code
        while login_of(holder, "unit_hr") not in users:  # a phòng: the unit above acts for it
            holder = province.parents[holder]
        province.hr[code], province.head[code] = users[login_of(holder, "unit_hr")], users[login_of(holder, "unit_head")]
    province.weights = _weights(province)
    return province


def _weights(province: Province) -> dict[str, float]:
    """Headcount shares: big (the province's hospital, a few Sở and wards), middling, and many small units."""
    rng = random.Random(SEED + 1)
    raw = {}
    for code, kind in province.kinds.items():
        base = {"ubnd_tinh": 60, "so": 80, "chi_cuc": 40, "phong": 15, "dvsn": 25, "xa": 30, "phuong": 45}[kind]
        raw[code] = base * rng.lognormvariate(0, 0.6)
    for code, size in (("SYT-BV", 1400), ("SGD-LK", 120), ("SYT", 300), ("SGD", 250), ("P-CT", 220), ("STC", 150)):
        raw[code] = size
    total = sum(raw.values())
    return {code: value / total for code, value in raw.items()}


def big_units(province: Province, n: int) -> list[str]:
    """The `n` units (not phòng) with the largest headcount."""
    ranked = sorted((c for c in province.units if province.kinds[c] != "phong"), key=lambda c: -province.weights[c])
    return ranked[:n]


def person_rows(province: Province, people: int, today: date):
    """(row number, fields) for services/importer.import_rows: the CV fields + unit_code, kind, status."""
    rng = random.Random(SEED + 2)
    codes = list(province.units)
    chosen = rng.choices(codes, weights=[province.weights[c] for c in codes], k=people)
    for i, code in enumerate(chosen):
        sex = "nam" if rng.random() < 0.45 else "nu"
        born = date(rng.randint(1966, 2002), rng.randint(1, 12), rng.randint(1, 28))
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
        century_sex = 2 * ((born.year // 100) - 19) + (0 if sex == "nam" else 1)
        cid = f"051{century_sex}{born.year % 100:02d}{CID_SERIAL_BASE + i:06d}"
        hired = max(date(born.year + 22, born.month, born.day), today - timedelta(days=rng.randint(200, 12000)))
        grade_code = rng.choice(GRADES)
        grade_name, group = cv.GRADES[grade_code]
        step = rng.randint(1, min(6, cv.SALARY_GROUPS[group][2]))
        yield i + 2, {  # row 1 is the header of the file it would come from
            "full_name": name, "sex": sex, "date_of_birth": born.isoformat(), "citizen_id": cid,
            "birthplace": "Tỉnh Quảng Ngãi", "hometown": "Tỉnh Quảng Ngãi", "ethnicity": "Kinh", "religion": "Không",
            "citizen_id_issued_on": "2021-06-01", "residence": "Tỉnh Quảng Ngãi", "general_education": "12/12",
            "qualification": "Cử nhân", "political_theory": "Sơ cấp", "grade_code": grade_code,
            "grade_name": grade_name, "salary_step": step, "salary_coefficient": f"{cv.coefficient(group, step):.2f}",
            "salary_from": "2025-01-01", "hired_on": hired.isoformat(),
            "work_history": [{"from": f"{hired:%m/%Y}", "to": "nay", "description": grade_name}],
            "unit_code": code, "kind": "vien_chuc" if province.kinds[code] == "dvsn" else "cong_chuc",
            "status": "active",
        }


# ---- tasks ----------------------------------------------------------------------------------------

TASK_UNITS = "CREATE TEMP TABLE bench_units (unit_id int, hr int, head int, ntasks int, lo int, persons int[])"
# kinds and who acts, by share: most work is HR's (reviews, accounts, updates), some the month's signature
INSERT_TASKS = """
INSERT INTO tasks (workflow_id, step_key, kind, title, subject_person_id, unit_id, actor_role, rule, profile,
                   profile_version, started_on, due_on, due_at, legal_basis, status, escalation_level,
                   escalated_head_at, outcome, result, completed_by_id, completed_at, created_at)
SELECT 'bench/' || s.g, 'step', s.kind, s.title, s.person, s.unit_id, s.role, s.kind, 'quang-ngai', '2026',
       s.created::date, s.due::date, s.due, 'Quy chế Quảng Ngãi', s.status,
       CASE WHEN s.escalated THEN 1 ELSE 0 END, CASE WHEN s.escalated THEN s.due END,
       CASE WHEN s.status = 'done' THEN s.outcome END, '{}'::jsonb,
       CASE WHEN s.status = 'done' THEN s.actor END,
       CASE WHEN s.status = 'done' THEN s.created + (s.due - s.created) * s.r3 END, s.created
FROM (
  SELECT x.*, CASE WHEN x.kind = 'sign_approval' THEN x.head ELSE x.hr END AS actor,
         CASE WHEN x.kind = 'sign_approval' THEN 'unit_head' ELSE 'unit_hr' END AS role,
         CASE WHEN x.kind = 'sign_approval' THEN NULL ELSE x.persons[1 + floor(x.r3 * cardinality(x.persons))::int] END AS person,
         CASE x.kind WHEN 'review_entry' THEN 'Kiểm tra hồ sơ' WHEN 'create_account' THEN 'Tạo tài khoản'
                     WHEN 'review_update' THEN 'Kiểm tra cập nhật' WHEN 'update_entry' THEN 'Cập nhật theo quyết định'
                     ELSE 'Ký phê duyệt tháng' END AS title,
         CASE x.kind WHEN 'sign_approval' THEN 'sign' WHEN 'create_account' THEN 'done' ELSE 'accept' END AS outcome,
         CASE WHEN x.r1 < 0.95 THEN now() - interval '5 years' * x.r2
              ELSE now() - interval '60 days' * x.r2 END AS created,
         CASE WHEN x.r1 < 0.95 THEN now() - interval '5 years' * x.r2 + interval '1 day' * (5 + 25 * x.r3)
              WHEN x.r1 < 0.96 THEN now() - interval '30 days' * x.r3 * x.r2
              ELSE now() + interval '30 days' * x.r3 END AS due,
         CASE WHEN x.r1 < 0.95 THEN 'done' ELSE 'open' END AS status,
         (x.r1 >= 0.95 AND x.r1 < 0.952) AS escalated
  FROM (
    SELECT u.lo + g - 1 AS g, u.unit_id, u.hr, u.head, u.persons, random() AS r1, random() AS r2, random() AS r3,
           (ARRAY['review_entry', 'review_entry', 'review_update', 'review_update', 'create_account',
                  'update_entry', 'review_entry', 'review_update', 'create_account', 'sign_approval'])[1 + floor(random() * 10)::int] AS kind
    FROM bench_units u CROSS JOIN LATERAL generate_series(1, u.ntasks) g
  ) x
) s
"""
INSERT_CANDIDATES = """
INSERT INTO task_candidates (task_id, user_id, reason, can_complete)
SELECT t.id, CASE WHEN t.actor_role = 'unit_head' THEN u.head ELSE u.hr END,
       CASE WHEN t.actor_role = 'unit_head' THEN 'Thủ trưởng đơn vị' ELSE 'Cán bộ tổ chức' END, true
FROM tasks t JOIN bench_units u ON u.unit_id = t.unit_id WHERE t.workflow_id LIKE 'bench/%'
"""
INSERT_WATCHERS = """
INSERT INTO task_candidates (task_id, user_id, reason, can_complete)
SELECT t.id, u.head, 'Đã báo thủ trưởng đơn vị', false
FROM tasks t JOIN bench_units u ON u.unit_id = t.unit_id
WHERE t.workflow_id LIKE 'bench/%' AND t.escalation_level = 1 AND t.actor_role <> 'unit_head'
ON CONFLICT DO NOTHING
"""


async def insert_tasks(session, province: Province, total: int) -> int:
    """`total` task rows with their candidates, spread over the units by headcount; the count inserted."""
    await session.execute(text("SELECT setseed(0.4242)"))
    await session.execute(text(TASK_UNITS))
    persons = dict((await session.execute(text(
        "SELECT unit_id, array_agg(id ORDER BY id) FROM people GROUP BY unit_id"))).all())
    ids = {uid: code for code, uid in province.units.items()}
    heads = {uid: len(persons[uid]) for uid in persons}
    people = sum(heads.values())
    lo, rows = 1, []
    for uid, count in sorted(heads.items()):
        n = round(total * count / people)
        rows.append({"unit_id": uid, "hr": province.hr[ids[uid]], "head": province.head[ids[uid]], "ntasks": n,
                     "lo": lo, "persons": persons[uid]})
        lo += n
    await session.execute(text("INSERT INTO bench_units VALUES (:unit_id, :hr, :head, :ntasks, :lo, :persons)"), rows)
    await session.execute(text(INSERT_TASKS))
    await session.execute(text(INSERT_CANDIDATES))
    await session.execute(text(INSERT_WATCHERS))
    await session.execute(text("DROP TABLE bench_units"))
    return lo - 1
