"""docker-compose.yml: valid against the compose-spec schema, images pinned, search attributes in sync.

No container engine runs here, so the file is checked with a compose-file validator
(check-jsonschema's vendored compose-spec schema), as CI does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from spplus import search_attributes

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def test_compose_file_is_valid() -> None:
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run([tool, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_image_names_a_pinned_version() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    for name, service in services.items():
        image = service.get("image")
        assert image, f"{name} names its image"
        assert re.search(r":\d+(\.\d+)+$", image), f"{name}: {image} is not pinned to a version"


def test_the_search_attributes_registered_are_the_engines() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", text))
    kinds = {key.name: key.indexed_value_type.name for key in search_attributes.ALL}
    assert set(registered) == set(kinds)
    for name, kind in registered.items():
        assert kinds[name].endswith(kind.upper()), (name, kind, kinds[name])
    assert sum(1 for k in registered.values() if k == "Keyword") <= 10 and sum(1 for k in registered.values() if k == "Datetime") <= 3


def test_only_the_api_is_published_and_temporal_sits_on_an_internal_network() -> None:
    """Issue 11, door 4: whoever reaches Temporal's port acts on any cycle without a token."""
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = spec["services"]
    assert spec["networks"]["internal"]["internal"] is True
    for name, service in services.items():
        for port in service.get("ports", []):
            published = str(port)
            if name == "api":
                continue
            # Anything else is bound to the host's loopback (reached by operators through an SSH tunnel), never 0.0.0.0.
            assert published.startswith("127.0.0.1:"), f"{name} publishes {published} to every address"
    assert "ports" not in services["temporal"] and "ports" not in services["postgresql"] and "ports" not in services["worker"]
    for name in ("temporal", "postgresql", "worker", "temporal-schema", "temporal-setup"):
        networks = services[name].get("networks") or spec["x-engine"]["networks"]
        assert networks == ["internal"], f"{name} is on {networks}"
    assert "SPPLUS_PAGE_TOKEN_SECRET" in services["api"]["environment"]
