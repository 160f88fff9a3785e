"""The repository's own tests use the public test kit, as users do."""

pytest_plugins = ["carrier_sdk.testing"]
