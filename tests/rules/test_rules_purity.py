import ast
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "rules"
ALLOWED_TOP = {
    "__future__", "dataclasses", "datetime", "pathlib", "typing", "types", "tomllib",
    "holidays", "zoneinfo", "calendar", "argparse", "sys",
}


def test_rules_imports_nothing_of_the_app_and_no_io():
    for f in RULES.glob("*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import within rules/
                    continue
                mods = [node.module.split(".")[0]]
            else:
                continue
            for m in mods:
                assert m in ALLOWED_TOP, f"{f.name} imports {m}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in {"now", "today", "utcnow"}, f"{f.name} calls {node.func.attr}()"


def test_toml_data_packaged():
    assert (RULES / "data" / "calendar_overrides.toml").is_file()
    for n in ("national", "quang-ngai", "kon-tum", "binh-dinh", "nghe-an", "hai-phong"):
        assert (RULES / "profiles" / f"{n}.toml").is_file()
