"""Table types. Importing this package registers their loaders and expanders."""

from . import (
    benchmark,  # noqa: F401
    benchmark_review,  # noqa: F401
    exemption,  # noqa: F401
    instruments,  # noqa: F401
    statute,  # noqa: F401
)
