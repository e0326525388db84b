"""Error types that the command-line tools turn into one-line messages."""


class ConfigError(ValueError):
    """A configuration value, flag or input path is wrong; the message says how to fix it."""


class DataError(ValueError):
    """Input data cannot be used (missing folder, corrupt file, shape mismatch)."""


class TrainingError(RuntimeError):
    """Training cannot continue (non-finite loss, incompatible checkpoint)."""
