"""The resilience tests (a worker killed, PostgreSQL stopped) are marked `resilience`: they run in
`make test` with the rest, and `pytest -m resilience` runs just them."""


def pytest_configure(config):
    config.addinivalue_line("markers", "resilience: kills or stops a real part (worker, PostgreSQL) and checks "
                                       "that nothing is lost or doubled; slow (tens of seconds)")
