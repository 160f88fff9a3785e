"""The repository's own tests use the public test kit, as users do, and run async tests on asyncio."""

import pytest

pytest_plugins = ["carrier_sdk.testing"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
