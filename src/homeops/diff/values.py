"""The values helm-controller computes for each HelmRelease of one side, and which of their leaves came from
Secrets (masked when printed, compared unmasked)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from homeops.diff.objects import ObjKey, key_of, walk
from homeops.flux.cluster import ClusterBuild, HelmReleaseNode
from homeops.flux.helm_strvals import StrvalsError, parse_into
from homeops.flux.helmvalues import Lookup, compute_values, lookup_from, read_values
from homeops.flux.secrets import MASK
from homeops.yaml.nodes import YMap, deep_copy

Path_ = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HrValues:
    """The computed values of one HelmRelease and the paths of the leaves that came from Secrets."""

    values: YMap
    secret_paths: frozenset[Path_]
    ok: bool

    def masked(self) -> YMap:
        """The values with every Secret-sourced leaf replaced by the mask."""
        out: YMap = deep_copy(self.values)
        for path in self.secret_paths:
            node: dict[str, object] = out
            for part in path[:-1]:
                nxt = node.get(part)
                if not isinstance(nxt, dict):
                    break
                node = nxt
            else:
                last = path[-1]
                if last in node and not isinstance(node[last], dict):
                    node[last] = MASK
        return out


def side_values(cluster: ClusterBuild) -> dict[ObjKey, HrValues]:
    """The values of every HelmRelease of ``cluster``, by the HelmRelease's key."""
    lookups: dict[str, Lookup] = {}
    out: dict[ObjKey, HrValues] = {}
    for item in cluster.helmreleases:
        key = key_of(item.obj, item.parent.cluster)
        if key is None or key in out:
            continue
        tree = item.parent.tree
        if tree not in lookups:
            objects = [o for n in cluster.nodes if n.tree == tree for o in n.objects]
            lookups[tree] = lookup_from(objects)[0]
        out[key] = hr_values(item, lookups[tree])
    return out


def hr_values(item: HelmReleaseNode, lookup: Lookup) -> HrValues:
    """The values of one HelmRelease, with the paths that Secret references contributed."""
    result = compute_values(item.hr, lookup)
    paths: set[Path_] = set()
    for ref in item.hr.values_from:
        if ref.kind != "Secret":
            continue
        data: Mapping[str, str] | None = lookup("Secret", item.hr.namespace, ref.name)
        if data is None or ref.values_key not in data:
            continue
        if ref.target_path:
            probe: dict[str, object] = {}
            try:
                parse_into(f"{ref.target_path}=x", probe)
            except StrvalsError:
                continue
            found = walk(probe)
        else:
            try:
                found = walk(read_values(data[ref.values_key], f"Secret {ref.name}"))
            except ValueError:  # unreadable values are reported by compute_values
                continue
        for path, value in found:
            if path and not isinstance(value, dict):
                paths.add(_up_to_list(path))
    return HrValues(result.values, frozenset(p for p in paths if p), result.ok)


def _up_to_list(path: tuple[str | int, ...]) -> Path_:
    """The map-key prefix of ``path``: a leaf inside a list masks the whole list."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            break
        out.append(part)
    return tuple(out)
