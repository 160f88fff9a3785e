"""What a closable SDK object does in a ``with`` block: hands itself out and closes on the way out.

:class:`Closing` for the objects closed by ``close()`` (clients, watchers, webhook sinks, the
sandbox server), :class:`AsyncClosing` for those closed by ``await aclose()``.
"""

from __future__ import annotations

import abc
from typing import Self

__all__ = ["AsyncClosing", "Closing"]


class Closing(abc.ABC):
    """``with obj:`` gives ``obj`` and calls :meth:`close` when the block ends, however it ends."""

    __slots__ = ()

    @abc.abstractmethod
    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClosing(abc.ABC):
    """``async with obj:`` gives ``obj`` and awaits :meth:`aclose` when the block ends, however it ends."""

    __slots__ = ()

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
