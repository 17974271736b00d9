"""Shared helpers for the Talk Like You cookbook.

Each module covers one concern; each function's docstring names the notebook
that teaches it. Importing the package is cheap: TensorFlow is only imported
by the modules that need it.
"""

import sys
import warnings

__version__ = "0.1.0"

# No native TensorFlow/absl line for a reader (helpers.setup.quiet_native_logs), decided before
# anything imports TensorFlow: in a notebook, whose setup cell imports helpers first, and for
# `python -m helpers.MODULE`, for which Python sets sys.argv[0] to "-m" while it imports this
# package, before the module's own imports run.
from .setup import in_kernel, quiet_native_logs  # noqa: E402

if sys.argv[:1] == ["-m"] or in_kernel():
    quiet_native_logs()

# The progress bars are tqdm.auto's: widgets where ipywidgets is installed, text elsewhere. The project does not
# install ipywidgets (widget outputs would not show in the committed notebooks), so its advice to install it is noise here.
warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")
