"""JAX refused in the Rasa server, where TensorFlow only probes for it and nothing calls it.

Why it exists: TensorFlow 2.12's TFLite helpers (tensorflow/lite/python/util.py) try
`from jax import xla_computation` inside `try … except ImportError`, for converting JAX
models to TFLite. jax and jaxlib are installed as TensorFlow's own dependencies, so the
probe succeeds and loads them, though Rasa never converts a model. Measured on a fresh
`make setup` (twenty-third session), importing Rasa's DIET classifier and agent took 624 MB
of RSS with the probe answered and 539 MB with it refused: ~85 MB of the whole stack's 2 GB
budget (`make bench`). Refused, TensorFlow takes the fallback it has for a machine without
JAX. `rasa_ext.launch` installs it before Rasa is imported; `rasa train`, which runs
outside the server, is left as it is.
"""

from __future__ import annotations

import sys

REFUSED = ("jax", "jaxlib")


class RefuseImports:
    """A meta-path finder that answers ImportError for the named top-level packages."""

    def __init__(self, names: tuple[str, ...] = REFUSED):
        self.names = frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.names:
            raise ImportError(f"{fullname} is not loaded in the Rasa server (rasa_ext/optional_imports.py)")
        return None


def install() -> None:
    """Refuse JAX for the rest of this process, before anything imports TensorFlow."""
    if not any(isinstance(finder, RefuseImports) for finder in sys.meta_path):
        sys.meta_path.insert(0, RefuseImports())
