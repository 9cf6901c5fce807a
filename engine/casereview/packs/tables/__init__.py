"""Table types. Importing this package registers their loaders and expanders."""

from . import statute  # noqa: F401,E402
