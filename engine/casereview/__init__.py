"""casereview — 应急管理行政处罚案卷评查规则引擎."""

__version__ = "0.1.0"
