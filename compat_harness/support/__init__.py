"""Support mode: ``compat repro`` (a reported problem, replayed on the closest cell, with a
plain-language verdict and a ticket bundle) and ``compat doctor`` (what can run here)."""
