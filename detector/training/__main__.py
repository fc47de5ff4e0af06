"""``python -m detector.training COMMAND [options]``: the one entry point of the recipes."""

import sys

from detector.training import main

if __name__ == "__main__":
    sys.exit(main())
