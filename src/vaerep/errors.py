"""One exception type for problems a user can fix (bad config, missing data, NaN in training)."""


class PipelineError(Exception):
    """A problem with the input or the run that a user can act on; printed without a traceback."""

