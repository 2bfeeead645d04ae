"""One exception type for problems a user can fix (bad config, missing data, NaN in training)."""

import sys


class PipelineError(Exception):
    """A problem with the input or the run that a user can act on; printed without a traceback."""



def run_command(main) -> None:
    """Run a command-line ``main()`` and exit with its return code; a PipelineError ends it with its message, not
    a traceback."""
    try:
        sys.exit(main())
    except PipelineError as err:
        sys.exit(f"ERROR: {err}")
