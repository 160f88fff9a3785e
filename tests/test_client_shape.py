"""The twins stay thin: operations are built once in ``BaseClient`` and run by a one-line method."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import carrier_sdk
from carrier_sdk import AsyncClient, Client

SOURCE = Path(carrier_sdk.__file__).with_name("_client.py")


def _class_lines(name: str) -> int:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


def test_client_and_async_client_together_stay_under_500_lines() -> None:
    assert _class_lines("Client") + _class_lines("AsyncClient") < 500


def test_every_public_method_of_both_clients_is_documented() -> None:
    for cls in (Client, AsyncClient):
        for name, member in inspect.getmembers(cls, callable):
            if not name.startswith("_"):
                assert inspect.getdoc(member), f"{cls.__name__}.{name} has no docstring"


def test_both_clients_offer_the_same_public_methods() -> None:
    def public(cls: type) -> set[str]:
        return {name for name, _ in inspect.getmembers(cls, callable) if not name.startswith("_")}

    assert public(Client) - {"close"} == public(AsyncClient) - {"aclose"}
