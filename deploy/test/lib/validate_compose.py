#!/usr/bin/env python3
"""Validates compose files against the Compose Specification's JSON schema.

    validate_compose.py SCHEMA.json FILE...

The schema is the one Debian's docker-compose package ships
(/usr/lib/python3/dist-packages/compose/config/compose_spec.json). YAML anchors and merge keys
are resolved first, as compose does; a key written twice in one mapping is an error (PyYAML would
keep the last silently). Variables (${VAR:-default}) are not substituted: the schema sees the
text, which is what compose validates too. Exit status 1 when a file is invalid.
"""

import json
import sys

import jsonschema
import yaml


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def _mapping(loader, node, deep=False):
    # Keys written in this mapping (a key that overrides one brought in by "<<:" is fine).
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def path_of(error):
    return "/".join(str(p) for p in error.absolute_path) or "(top level)"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    # The file says draft 2019-09 (with a $schema address jsonschema does not recognise).
    cls = jsonschema.Draft201909Validator
    cls.check_schema(schema)
    validator = cls(schema)
    failed = False
    for name in argv[2:]:
        try:
            with open(name, encoding="utf-8") as f:
                document = yaml.load(f, Loader=StrictLoader)
        except (OSError, yaml.YAMLError) as e:
            print(f"FAIL {name}: not readable YAML: {e}")
            failed = True
            continue
        if not isinstance(document, dict):
            print(f"FAIL {name}: not a mapping at the top level")
            failed = True
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            failed = True
            print(f"FAIL {name}: {len(errors)} schema error(s) ({cls.__name__})")
            for e in errors:
                print(f"  at {path_of(e)}: {e.message}")
            continue
        services = document.get("services") or {}
        print(
            f"ok   {name}: valid against {argv[1]} ({cls.__name__}); "
            f"{len(services)} services: {', '.join(services)}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
