"""The campaign profile (评查标准) as data: the whole scoring sheet.

A sheet has a veto gate (否决项: any one makes the file 不合格 with score 0), parts (e.g. 卷面/文书
about 20 points and 内容 about 80) made of categories, each with a maximum (扣完为止，不计负分),
items with points per deduction and a per-item cap, and grade lines. Machine items are fed by
rule codes; human items (`human: true`) are scored by reviewers in a campaign; a veto item may
name the machine rules that raise it and is otherwise a reviewer's call. The machine pre-score
(`score_case`) uses the machine items only: human items start with full marks until scored.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..model.factories import new_list
from ..packs.schema import Basis, Verification


class ProfileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Part(ProfileModel):
    id: str
    name: str
    max: int = Field(ge=0, description="points of the part: the sum of its categories")


class Category(ProfileModel):
    id: str
    name: str
    max: int = Field(ge=0, description="category points; deductions stop here (扣完为止)")
    part: str | None = Field(None, description="the part (卷面/内容) this category belongs to")


class Item(ProfileModel):
    id: str
    category: str
    title: str
    rules: list[str] = Field(
        default_factory=new_list, description="rule codes (or prefixes ending in '-') feeding this item"
    )
    human: bool = Field(False, description="scored by a reviewer (may also be fed by rules)")
    deduct: int = Field(ge=0, description="points per finding")
    cap: int | None = Field(None, ge=0, description="at most this many points from this item")
    guide: str | None = Field(None, description="what the reviewer checks (shown on the sheet)")

    @model_validator(mode="after")
    def _fed(self) -> Item:
        if not self.rules and not self.human:
            raise ValueError(f"评查项 {self.id} 既无对应规则（rules）也不是人工评查项（human: true）")
        return self

    @property
    def max_points(self) -> int:
        return self.cap if self.cap is not None else self.deduct


class VetoItem(ProfileModel):
    """A veto (否决项): raised by a machine rule listed in `rules`, or by a reviewer."""

    id: str
    title: str
    rules: list[str] = Field(
        default_factory=new_list, description="machine rule codes (or prefixes) raising it"
    )
    guide: str | None = None


class Grade(ProfileModel):
    name: str
    min: float = Field(ge=0, le=100)


class Profile(ProfileModel):
    id: str
    title: str
    verification: Verification
    basis: list[Basis] = Field(default_factory=new_list)
    note: str | None = None
    total: int = Field(100, ge=1)
    veto_items: list[VetoItem] = Field(default_factory=new_list, description="the veto gate (否决项)")
    parts: list[Part] = Field(default_factory=new_list, description="e.g. 卷面/文书 and 内容")
    categories: list[Category]
    items: list[Item] = Field(default_factory=new_list)
    default_deduct: int = Field(2, ge=0, description="points for a deduct finding no item names")
    default_category: str
    grades: list[Grade] = Field(min_length=2)
    failing_grade: str = Field(description="grade given on any veto (不合格)")
    provisional_max_grade: str | None = Field(
        None,
        description="the best grade a file may get while veto or deduction checks could not run "
        "because facts are unknown (暂定): a file the tool could not fully judge is not 优秀",
    )
    three_systems_rules: list[str] = Field(
        default_factory=new_list, description="rule codes whose findings count against 三项制度 compliance"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        ids = {c.id for c in self.categories}
        for item in self.items:
            if item.category not in ids:
                raise ValueError(f"评查项 {item.id} 的类别 {item.category} 未定义")
        item_ids = [i.id for i in self.items] + [v.id for v in self.veto_items]
        duplicated = sorted({i for i in item_ids if item_ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"评查项编号重复：{'、'.join(duplicated)}")
        if self.parts:
            part_ids = {p.id for p in self.parts}
            for cat in self.categories:
                if cat.part not in part_ids:
                    raise ValueError(f"类别 {cat.id} 的部分 {cat.part} 未定义")
            for part in self.parts:
                if sum(c.max for c in self.categories if c.part == part.id) != part.max:
                    raise ValueError(f"部分 {part.name} 的分值应等于其各类别分值之和")
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
            if _matches(code, item.rules):
                return item
        return None

    def veto_for(self, code: str) -> VetoItem | None:
        for veto in self.veto_items:
            if _matches(code, veto.rules):
                return veto
        return None

    def item(self, item_id: str) -> Item | VetoItem | None:
        """The item or veto item by id; a campaign's added finding `<id>#<n>` names its item too."""
        item_id = item_id.split("#", 1)[0]
        return next((i for i in [*self.items, *self.veto_items] if i.id == item_id), None)

    @property
    def human_items(self) -> list[Item]:
        return [i for i in self.items if i.human]


def _matches(code: str, rules: list[str]) -> bool:
    return any(code == r or (r.endswith("-") and code.startswith(r)) for r in rules)


def default_profile_path() -> Path:
    from ..packs.loader import default_rules_dir

    return default_rules_dir() / "profiles" / "example-profile.yaml"


def load_profile(path: Path | None = None) -> Profile:
    from ..packs.loader import PackError, PackYamlLoader, _guard_pack_text

    path = path or default_profile_path()
    try:
        text = path.read_text(encoding="utf-8")
        _guard_pack_text(path, text)  # as for packs: size, nesting, alias expansion, tags
        # the packs' loader: libyaml, safe, and a repeated key is an error rather than a silent overwrite
        return Profile.model_validate(yaml.load(text, Loader=PackYamlLoader))
    except (ValidationError, yaml.YAMLError, PackError) as exc:
        raise ValueError(f"评查标准文件 {path} 无效：{exc}") from None
