"""One exception type for problems a user can fix (bad config, missing data, NaN in training)."""

import functools
import sys


class PipelineError(Exception):
    """A problem with the input or the run that a user can act on; printed without a traceback."""


def report_errors(func):
    """Decorate an entry point so that a PipelineError prints one clear line and exits with 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PipelineError as err:
            print(f"ERROR: {err}", file=sys.stderr)
            raise SystemExit(1) from None

    return wrapper
