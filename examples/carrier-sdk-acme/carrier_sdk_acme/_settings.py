"""Settings of the Acme adapter."""

from __future__ import annotations

import attrs
from carrier_sdk import Secret

from ._wire import BASE_URL

__all__ = ["AcmeSettings"]


@attrs.frozen(kw_only=True)
class AcmeSettings:
    """Credentials and endpoint of the Acme API.

    Attributes:
        api_key_id: The public id of the API key (not secret; identifies the account).
        api_key: The API key itself.
        base_url: The API root (the sandbox points it at its fake).
    """

    api_key_id: str
    api_key: Secret = attrs.field(converter=Secret.coerce, repr=False)  # type: ignore[misc]
    base_url: str = BASE_URL
