"""The `hoso` command refuses to put the demo province into production."""
import pytest

from bootstrap import cli
from bootstrap.demo import DemoRefused, refuse_in_prod
from core.config import Settings, get_settings


@pytest.fixture
def prod(monkeypatch):
    monkeypatch.setenv("HOSO_ENV", "prod")
    monkeypatch.setattr(cli, "_resolve", lambda: pytest.fail("started a database for the demo in prod"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("command", ["seed", "run"])
def test_demo_commands_refuse_in_prod(prod, capsys, command):
    assert cli.main([command]) == 2
    err = capsys.readouterr().err
    assert "refusing to seed the demo province because HOSO_ENV=prod" in err


def test_rules_commands_still_work_in_prod(prod, capsys):
    assert cli.main(["profiles"]) == 0
    assert "quang-ngai" in capsys.readouterr().out


def test_refuse_in_prod_only_in_prod():
    refuse_in_prod(Settings(env="dev"))
    with pytest.raises(DemoRefused):
        refuse_in_prod(Settings(env="prod"))
