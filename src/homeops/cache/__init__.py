"""A persistent, content-addressed cache of build results (see ``homeops.cache.store`` and
``homeops.cache.nodes``)."""
