"""``python -m carrier_sdk.cli``."""

from carrier_sdk.cli import main

if __name__ == "__main__":
    main()
