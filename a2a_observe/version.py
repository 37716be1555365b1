"""The package version, in one place for the tracer scope and packaging."""

__version__ = "0.1.0"
