"""The live cluster, through the Kubernetes API: ``status`` (live.status) and ``reconcile``
(live.reconcile); live.kube is the one module that talks to the API server."""
