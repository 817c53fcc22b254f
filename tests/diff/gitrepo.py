"""A small Flux repository written at test time, made a real Git repository with a first commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

SECRET_VALUE = "s3cret-VALUE-4242-zq"
NEW_SECRET_VALUE = "n3w-s3cret-VALUE-9191-zq"
DOMAIN_VALUE = "hidden-domain-QX77.example"

FILES: dict[str, str] = {
    "TEMPLATE_GUIDE.md": "# Guide\n\n| `${TIMEZONE}` | ConfigMap cluster-settings | the time zone |\n",
    "kubernetes/flux/cluster/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "kubernetes/apps/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./settings.yaml
  - ./crds/ks.yaml
  - ./web/ks.yaml
  - ./db/ks.yaml
""",
    "kubernetes/apps/settings.yaml": f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  TIMEZONE: Europe/Paris
---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
stringData:
  SECRET_DOMAIN: {DOMAIN_VALUE}
""",
    "kubernetes/apps/crds/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: crds
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/crds/app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "kubernetes/apps/crds/app/kustomization.yaml": "resources:\n  - ./crd.yaml\n",
    "kubernetes/apps/crds/app/crd.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
""",
    "kubernetes/apps/web/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/web/app
  prune: true
  dependsOn:
    - name: crds
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
      - kind: Secret
        name: cluster-secrets
""",
    "kubernetes/apps/web/app/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: default
resources:
  - ./deployment.yaml
  - ./service.yaml
  - ./pvc.yaml
  - ./secret.yaml
  - ./helmrelease.yaml
  - ./widget.yaml
""",
    "kubernetes/apps/web/app/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
      annotations:
        checksum/config: aaaa
    spec:
      containers:
        - name: web
          image: nginx:1.25.0
          env:
            - name: TZ
              value: ${TIMEZONE}
            - name: HOST
              value: web.${SECRET_DOMAIN}
""",
    "kubernetes/apps/web/app/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
  selector:
    app: web
  ports:
    - port: 80
""",
    "kubernetes/apps/web/app/pvc.yaml": """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: web-data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ceph-block
  resources:
    requests:
      storage: 10Gi
""",
    "kubernetes/apps/web/app/secret.yaml": f"""\
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
stringData:
  password: {SECRET_VALUE}
""",
    "kubernetes/apps/web/app/helmrelease.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web-app
spec:
  interval: 1h
  chart:
    spec:
      chart: app-template
      version: 3.7.3
      sourceRef:
        kind: HelmRepository
        name: bjw-s
        namespace: flux-system
  values:
    controllers:
      main:
        containers:
          app:
            image:
              repository: ghcr.io/example/app
              tag: 1.0.0
    persistence:
      config:
        existingClaim: web-config
""",
    "kubernetes/apps/web/app/widget.yaml": """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gadget
spec:
  size: 3
""",
    "kubernetes/apps/db/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: db
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/db/app
  prune: false
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "kubernetes/apps/db/app/kustomization.yaml": """\
namespace: db
resources:
  - ./statefulset.yaml
  - ./configmap.yaml
""",
    "kubernetes/apps/db/app/statefulset.yaml": """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
spec:
  serviceName: postgres
  selector:
    matchLabels:
      app: postgres
  template:
    metadata:
      labels:
        app: postgres
    spec:
      containers:
        - name: postgres
          image: postgres:16.1
""",
    "kubernetes/apps/db/app/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: postgres-conf
data:
  max_connections: "100"
""",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; its stdout."""
    env_args = ["-c", "user.name=homeops-test", "-c", "user.email=test@example.invalid"]
    env_args += ["-c", "commit.gpgsign=false"]
    proc = subprocess.run(["git", *env_args, *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout


def write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` in one file."""
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def make_repo(dest: Path, files: dict[str, str] | None = None) -> Path:
    """A Git repository at ``dest/repo`` holding ``files`` (default: FILES), committed on branch main."""
    repo = dest / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, FILES if files is None else files)
    commit_all(repo, "base")
    return repo


def configmap(name: str, namespace: str = "", **data: str) -> str:
    """The YAML of a ConfigMap (``data`` values written as block scalars when they span lines)."""
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
    if namespace:
        text += f"  namespace: {namespace}\n"
    if data:
        text += "data:\n"
        for key, value in data.items():
            if "\n" in value:
                body = "".join(f"    {line}\n" for line in value.splitlines())
                text += f"  {key}: |\n{body}"
            else:
                text += f"  {key}: {value}\n"
    return text
