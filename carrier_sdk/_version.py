"""The distribution's version, read by hatchling and by ``carrier_sdk.__version__``."""

__all__ = ["VERSION"]

VERSION = "0.1.0"
