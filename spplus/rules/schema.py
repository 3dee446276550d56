"""JSON Schemas of the rule files, for editors (`# yaml-language-server: $schema=…`).

Generated from the pydantic models; a test keeps the committed files in sync with them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import RULE_FILES


def schema_for(file_name: str) -> dict[str, Any]:
    model = RULE_FILES[file_name]
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Services Publics + rule file {file_name}"
    return schema


def schema_text(file_name: str) -> str:
    return json.dumps(schema_for(file_name), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def schema_path(folder: Path, file_name: str) -> Path:
    return folder / file_name.replace(".yaml", ".schema.json")


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in RULE_FILES:
        path = schema_path(folder, name)
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written
