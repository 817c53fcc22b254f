"""``homeops validate``: schemas, repository contracts and the dependency graph, in one run."""
