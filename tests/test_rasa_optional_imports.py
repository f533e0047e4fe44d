"""JAX is refused in the Rasa server (rasa_ext/optional_imports.py): TensorFlow's probe for it
falls back, Rasa's classifier still imports, and without the refusal the probe does load JAX."""

import pytest

from rasa_probe import NEEDS_RASA, probe

pytestmark = NEEDS_RASA

PROBE = r"""
import json, sys
from rasa_ext import optional_imports
if sys.argv[1] == "refused":
    optional_imports.install()
    optional_imports.install()  # twice is once
import rasa.nlu.classifiers.diet_classifier
from tensorflow.lite.python import util
print(json.dumps({
    "jax_loaded": any(m.split(".")[0] in ("jax", "jaxlib") for m in sys.modules),
    "tflite_jax_probe": util._xla_computation is not None,
    "finders": sum(isinstance(f, optional_imports.RefuseImports) for f in sys.meta_path),
}))
"""


@pytest.mark.parametrize("mode", ["refused", "as_installed"])
def test_tensorflow_imports_without_jax_only_when_it_is_refused(mode):
    seen = probe(PROBE, mode)
    refused = mode == "refused"
    assert seen["jax_loaded"] is not refused
    assert seen["tflite_jax_probe"] is not refused
    assert seen["finders"] == (1 if refused else 0)


def test_the_launcher_refuses_jax_before_rasa_is_imported():
    from pathlib import Path

    source = Path("rasa_ext/launch.py").read_text("utf-8")
    assert source.index("optional_imports.install()") < source.index("from rasa.__main__ import")
