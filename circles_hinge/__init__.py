"""circles-hinge: the hinge-loss circles experiment, reproduced, measured and compared.

import circles_hinge as ch
run = ch.train(loss="squared_hinge")      # also ch.compare, ch.sweep, ch.load_run (see api.py)
"""

__all__ = ["train", "compare", "sweep", "report_compare", "load_run", "Run", "Study", "__version__"]


def __getattr__(name: str):
    """The API and the version load on first use, so `circles-hinge --help` does not pay for them."""
    if name == "__version__":  # one home: pyproject.toml (reading package metadata takes ~20 ms)
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("circles-hinge")
        except PackageNotFoundError:  # a checkout that was never installed
            return "unknown"
    # (no module of the package is named train, compare or sweep, so none can shadow these names)
    if name in ("api", "train", "compare", "sweep", "report_compare", "load_run", "Run", "Study"):
        import importlib

        api = importlib.import_module("circles_hinge.api")  # not `from . import api`: that asks us again
        return api if name == "api" else getattr(api, name)
    raise AttributeError(f"module 'circles_hinge' has no attribute {name!r}")
