"""YAML input and output faithful to kustomize."""
