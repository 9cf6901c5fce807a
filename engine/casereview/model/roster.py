"""The certificate roster (证件台账): a separate input exported from a certificate system."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, PrivateAttr

from .case import Strict
from .enums import CertKind, CertStatus, PerformerRole
from .factories import new_list


class Certificate(Strict):
    number: str = Field(min_length=1, description="证件号")
    holder: str = Field(min_length=1, description="持证人")
    kind: CertKind = CertKind("enforcement")
    issuer: str | None = Field(None, description="发证机关")
    valid_from: dt.date = Field(description="有效期起")
    valid_to: dt.date | None = Field(None, description="有效期止（含当日）")
    status: CertStatus = CertStatus("valid")
    status_since: dt.date | None = Field(None, description="暂扣、注销的生效日")
    role: PerformerRole = Field(PerformerRole("officer"), description="持证人身份")
    legal_qualification: bool = Field(False, description="取得法律职业资格")


class Roster(Strict):
    certificates: list[Certificate] = Field(default_factory=new_list)
    _index: dict[str, Certificate] | None = PrivateAttr(default=None)

    def by_number(self) -> dict[str, Certificate]:
        """Certificates by number, built once: every case of a batch looks its officers up in
        the same roster (a real one holds thousands of certificates); a roster is not changed
        once loaded."""
        if self._index is None:
            self._index = {c.number: c for c in self.certificates}
        return self._index
