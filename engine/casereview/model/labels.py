"""Enums whose members carry Chinese labels.

Case files exported from Chinese enforcement systems may use either the English code
(`general`) or the Chinese label (`一般程序`); both validate to the same member, and the
JSON Schema lists the labels so an exporter can see what each code means.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

SPELLINGS = {"organization": "organisation"}


class LabelledEnum(str, Enum):  # noqa: UP042 - str mix-in keeps the functional API and pydantic happy
    """A string enum with a Chinese label per member (`_labels`)."""

    _labels: ClassVar[dict[str, str]]

    @property
    def value(self) -> str:  # type: ignore[override]
        # a plain property: Enum's own `value` descriptor is ~10x slower, and derive reads
        # member values ~200 times per case
        return self._value_

    @property
    def label(self) -> str:
        return type(self)._labels.get(self.value, self.value)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            text = value.strip()
            for code, label in cls._labels.items():
                if text == label:
                    return cls(code)
            # 「解除查封扣押」 for 「解除查封、扣押」: exporters drop the enumeration comma
            bare = text.replace("、", "")
            for code, label in cls._labels.items():
                if "、" in label and bare == label.replace("、", ""):
                    return cls(code)
            # exporters write codes in any case and in US spelling (Organization)
            code = SPELLINGS.get(text.lower(), text.lower())
            if code in cls._labels:
                return cls(code)
        return None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema = handler.resolve_ref_schema(json_schema)
        json_schema["enum"] = [m.value for m in cls] + [cls._labels[m.value] for m in cls]
        json_schema["x-labels"] = {m.value: cls._labels[m.value] for m in cls}
        json_schema["description"] = "；".join(f"{m.value}={cls._labels[m.value]}" for m in cls)
        return json_schema

    def __str__(self) -> str:
        return self.value


ENUMS_MODULE = "casereview.model.enums"


def labelled(name: str, members: dict[str, str], module: str = ENUMS_MODULE) -> type[LabelledEnum]:
    """Build a LabelledEnum from {code: 中文标签} (defined as `module.name`, so it pickles)."""
    enum_cls = LabelledEnum(name, {code: code for code in members}, module=module)  # type: ignore[call-overload]
    enum_cls._labels = dict(members)
    return enum_cls
