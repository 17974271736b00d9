"""``python -m helpers.serve``: see :mod:`helpers.serve.cli`."""

from .cli import main

raise SystemExit(main())
