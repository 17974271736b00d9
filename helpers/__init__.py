"""Shared helpers for the Talk Like You cookbook.

Each module covers one concern; each function's docstring names the notebook
that teaches it. Importing the package is cheap: TensorFlow is only imported
by the modules that need it.
"""

import sys

__version__ = "0.1.0"

# `python -m helpers.MODULE`: Python sets sys.argv[0] to "-m" while it imports the package
# that holds the module, before the module's own imports (TensorFlow's included) run.
if sys.argv[:1] == ["-m"]:
    from .setup import quiet_native_logs

    quiet_native_logs()
