"""Table types. Importing this package registers their loaders and expanders."""
