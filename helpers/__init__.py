"""Shared helpers for the Talk Like You cookbook.

Each module covers one concern; each function's docstring names the notebook
that teaches it. Importing the package is cheap: TensorFlow is only imported
by the modules that need it.
"""

__version__ = "0.1.0"
