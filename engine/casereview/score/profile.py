"""The campaign profile (评查标准) as data: categories, items fed by rules, grades."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..packs.schema import Basis, Verification


class ProfileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Category(ProfileModel):
    id: str
    name: str
    max: int = Field(ge=0, description="category points; deductions stop here (扣完为止)")


class Item(ProfileModel):
    id: str
    category: str
    title: str
    rules: list[str] = Field(
        min_length=1, description="rule codes (or prefixes ending in '-') feeding this item"
    )
    deduct: int = Field(ge=0, description="points per finding")
    cap: int | None = Field(None, ge=0, description="at most this many points from this item")


class Grade(ProfileModel):
    name: str
    min: float = Field(ge=0, le=100)


class Profile(ProfileModel):
    id: str
    title: str
    verification: Verification
    basis: list[Basis] = Field(default_factory=list)
    note: str | None = None
    total: int = Field(100, ge=1)
    categories: list[Category]
    items: list[Item] = Field(default_factory=list)
    default_deduct: int = Field(2, ge=0, description="points for a deduct finding no item names")
    default_category: str
    grades: list[Grade] = Field(min_length=2)
    failing_grade: str = Field(description="grade given on any veto (不合格)")
    three_systems_rules: list[str] = Field(
        default_factory=list, description="rule codes whose findings count against 三项制度 compliance"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        ids = {c.id for c in self.categories}
        for item in self.items:
            if item.category not in ids:
                raise ValueError(f"评查项 {item.id} 的类别 {item.category} 未定义")
        if self.default_category not in ids:
            raise ValueError(f"default_category {self.default_category} 未定义")
        if sum(c.max for c in self.categories) != self.total:
            raise ValueError("各类别分值之和应等于总分 total")
        mins = [g.min for g in self.grades]
        if mins != sorted(mins, reverse=True):
            raise ValueError("等次应按最低分从高到低排列")
        if self.failing_grade not in {g.name for g in self.grades}:
            raise ValueError("failing_grade 必须是已定义的等次")
        return self

    def item_for(self, code: str) -> Item | None:
        for item in self.items:
            if any(code == r or (r.endswith("-") and code.startswith(r)) for r in item.rules):
                return item
        return None


def default_profile_path() -> Path:
    from ..packs.loader import default_rules_dir

    return default_rules_dir() / "profiles" / "example-profile.yaml"


def load_profile(path: Path | None = None) -> Profile:
    from ..packs.loader import PackError, _guard_pack_text

    path = path or default_profile_path()
    try:
        text = path.read_text(encoding="utf-8")
        _guard_pack_text(path, text)  # as for packs: size, nesting, alias expansion, tags
        return Profile.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError, PackError) as exc:
        raise ValueError(f"评查标准文件 {path} 无效：{exc}") from None
