"""Exit codes of a run (documented in the README). pytest's own codes 0-5 keep their meaning."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every gating cell passed (not-recommended cells may have warned)
    TESTS_FAILED = 1  # a failure in a cell whose tier gates the run (see --fail-on)
    INTERRUPTED = 2  # Ctrl-C: the partial report is still written
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4  # bad flags, matrix YAML, URLs
    NO_TESTS = 5
    TARGET_DOWN = 10  # the target does not answer, the network does
    NETWORK_DOWN = 11  # neither the target nor the control URL answers
    NO_ENGINE = 12  # no selected cell has an available engine
    GATING_NOT_RUN = 13  # a cell whose tier gates the run did not run (see --allow-not-run)
    REPORTS_ELSEWHERE = 14  # the report folder could not be written: the reports went elsewhere
