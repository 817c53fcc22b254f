"""The Flux side of homeops: what kustomize-controller does after ``kustomize build``.

``envsubst`` is Flux's post-build variable substitution engine on text, ``varsub`` applies it to resources
the way kustomize-controller does (YAML round trip, ``substitute: disabled``, variable precedence).
"""
