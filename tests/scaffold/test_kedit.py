from __future__ import annotations

import pytest

from homeops.errors import UsageError
from homeops.scaffold.kedit import add_resource, top_level_scalar

HEAD = "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "resources:\n  - ./namespace.yaml\n  - ./a/ks.yaml\n  - ./z/ks.yaml\n",
            "resources:\n  - ./namespace.yaml\n  - ./a/ks.yaml\n  - ./new/ks.yaml\n  - ./z/ks.yaml\n",
            id="sorted-position-among-ks-files",
        ),
        pytest.param(
            "resources:\n  - ./z/ks.yaml\n  - ./a/ks.yaml\n",
            "resources:\n  - ./z/ks.yaml\n  - ./a/ks.yaml\n  - ./new/ks.yaml\n",
            id="unsorted-appends",
        ),
        pytest.param(
            "resources:\n- ./namespace.yaml\n- ./a/ks.yaml\nnamespace: games\n",
            "resources:\n- ./namespace.yaml\n- ./a/ks.yaml\n- ./new/ks.yaml\nnamespace: games\n",
            id="zero-indent-items-then-a-key",
        ),
        pytest.param(
            "resources:\n  - ./a/ks.yaml # first\n  # the last one is disabled:\n"
            "  # - ./old/ks.yaml\n  - ./z/ks.yaml\n",
            "resources:\n  - ./a/ks.yaml # first\n  - ./new/ks.yaml\n  # the last one is disabled:\n"
            "  # - ./old/ks.yaml\n  - ./z/ks.yaml\n",
            id="comments-stay-with-their-item",
        ),
        pytest.param(
            "components:\n  - ../../components/x\n",
            "components:\n  - ../../components/x\nresources:\n  - ./new/ks.yaml\n",
            id="no-resources-key",
        ),
        pytest.param(
            "resources: []\nnamespace: x",
            "resources:\n  - ./new/ks.yaml\nnamespace: x\n",
            id="empty-flow-and-no-final-newline",
        ),
        pytest.param("resources:\n", "resources:\n  - ./new/ks.yaml\n", id="empty-block"),
        pytest.param(
            "resources:\n  - ./namespace.yaml\n  - ./new/ks.yaml\n",
            "resources:\n  - ./namespace.yaml\n  - ./new/ks.yaml\n",
            id="already-listed-is-unchanged",
        ),
        pytest.param(
            "resources: # apps\n  - ./namespace.yaml\n\n  - ./b/ks.yaml\n\nlabels: []\n",
            "resources: # apps\n  - ./namespace.yaml\n\n  - ./b/ks.yaml\n  - ./new/ks.yaml\n\nlabels: []\n",
            id="blank-lines-and-key-comment",
        ),
    ],
)
def test_add_resource_inserts_one_line_and_keeps_everything_else(before: str, after: str) -> None:
    assert add_resource(HEAD + before, "./new/ks.yaml", "k.yaml") == HEAD + after


def test_a_flow_sequence_is_refused() -> None:
    with pytest.raises(UsageError, match="flow sequence") as info:
        add_resource(HEAD + "resources: [./a/ks.yaml]\n", "./new/ks.yaml", "area/kustomization.yaml")
    assert info.value.location is not None
    assert (info.value.location.file, info.value.location.line) == ("area/kustomization.yaml", 4)


def test_top_level_scalar() -> None:
    assert top_level_scalar(HEAD + "namespace: games\n", "namespace", "k.yaml") == "games"
    assert top_level_scalar(HEAD, "namespace", "k.yaml") is None
