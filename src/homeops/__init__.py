"""homeops: catch Flux GitOps homelab mistakes before the commit."""

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)

__all__ = ["__version__"]
