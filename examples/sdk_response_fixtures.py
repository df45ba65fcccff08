"""Writes tests/fixtures/sdk/: the `Data` of the version-release actions' responses, built with
Tencent Cloud's official Python SDK's own model classes, for TCMPP and TCSAS.

    pip install tencentcloud-sdk-python-intl-en
    python3 examples/sdk_response_fixtures.py            # rewrite the fixtures
    python3 examples/sdk_response_fixtures.py --check    # exit 1 when they differ

Each fixture is `{"Data": ...}` with every field the SDK's model declares, set to a sample of
its documented type ("s" for strings, 1 for integers, true for booleans, one sample element for
lists). Every response is read back with the SDK's own `_deserialize`, which must restore it
unchanged, so the field names are those the SDK reads. The simulator's tests
(`src/sim/tests/sdk_shapes.rs`) compare its answers' field names and types with these files.
"""
import json
import pathlib
import re
import sys
import warnings

from tencentcloud.common.abstract_model import AbstractModel
from tencentcloud.tcmpp.v20240801 import models as tcmpp_models
from tencentcloud.tcsas.v20250106 import models as tcsas_models

APIS = {"tcmpp": tcmpp_models, "tcsas": tcsas_models}
ACTIONS = [
    "DescribeMNPAllStageVersions",
    "DescribeMNPReleasedVersionHistory",
    "ReleaseMNPVersion",
    "RollbackMNPVersion",
]
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sdk"
SCALARS = {"str": "s", "int": 1, "bool": True, "float": 1.5}


def declared(cls):
    """The documented `(field, type)` pairs of a model class, in declaration order."""
    return re.findall(r":type (\w+): (.+)", cls.__init__.__doc__ or "")


def sample_of(module, type_name, depth=0):
    """A sample value of a documented type: a scalar, a model instance or a one-element list."""
    # Types are written `int`, `list of Foo` or :class:`tencentcloud.….models.Foo`.
    type_name = re.sub(r":class:`(?:[\w.]+\.)?(\w+)`", r"\1", type_name.strip())
    if type_name.startswith("list of "):
        return [sample_of(module, type_name[len("list of "):], depth)]
    if type_name in SCALARS:
        return SCALARS[type_name]
    cls = getattr(module, type_name, None)
    if cls is None or not issubclass(cls, AbstractModel):
        raise SystemExit(f"{module.__name__}: undocumented type {type_name!r}")
    if depth > 4:
        raise SystemExit(f"{module.__name__}: {type_name} nests too deeply")
    obj = cls()
    for field, field_type in declared(cls):
        setattr(obj, field, sample_of(module, field_type, depth + 1))
    return obj


def response_data(module, action):
    """`{"Data": ...}` of an action's response, built from the SDK's response model."""
    response_cls = getattr(module, action + "Response")
    data_type = dict(declared(response_cls))["Data"]
    response = response_cls()
    response.Data = sample_of(module, data_type)
    serialised = response._serialize(allow_none=True)
    # Read back by the SDK itself: every field must survive, none may be unknown to it.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = response_cls()
        again._deserialize(json.loads(json.dumps(serialised)))
    if again._serialize(allow_none=True) != serialised:
        raise SystemExit(f"{module.__name__}.{action}: the SDK does not read back its own shape")
    return {"Data": serialised["Data"]}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for api, module in APIS.items():
        for action in ACTIONS:
            path = OUT / api / f"{action}.json"
            text = json.dumps(response_data(module, action), indent=2) + "\n"
            if check:
                if not path.exists() or path.read_text() != text:
                    stale.append(str(path))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                print("wrote", path)
    if stale:
        print("out of date:", *stale, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
