"""circles-hinge: the hinge-loss circles experiment, reproduced, measured and compared."""

__version__ = "0.1.0"
