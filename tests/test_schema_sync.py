"""The JSON Schemas editors read must say what the loader enforces."""

from pathlib import Path

import jsonschema
import pytest

from spplus.rules.loader import default_rules_dir
from spplus.rules.models import RULE_FILES
from spplus.rules.schema import schema_path, schema_text
from spplus.rules.yamlsource import read_yaml_file

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"


@pytest.mark.parametrize("file_name", sorted(RULE_FILES))
def test_committed_schema_matches_the_models(file_name: str) -> None:
    committed = schema_path(SCHEMA_DIR, file_name).read_text(encoding="utf-8")
    assert committed == schema_text(file_name), f"run `make schema`: schema/{file_name} is out of date"


@pytest.mark.parametrize("file_name", sorted(RULE_FILES))
def test_each_rule_file_names_its_schema_and_passes_it(file_name: str) -> None:
    path = default_rules_dir() / file_name
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == f"# yaml-language-server: $schema=../schema/{schema_path(Path(), file_name).name}"
    data = read_yaml_file(path).data
    # JSON Schema sees what an editor sees: dates and numbers as JSON would carry them.
    import json

    from spplus.cli import jsonable

    jsonschema.validate(json.loads(json.dumps(jsonable(data))), json.loads(schema_text(file_name)))
