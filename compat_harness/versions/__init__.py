"""Real browser versions: each cell names, as a browserslist query (``stands_for``), the real
browser versions it stands for; the scripts and styles the target served during the run are
checked against them with MDN browser-compat-data and caniuse (``collect`` gathers them, ``check``
lints them once in Node and makes one row per cell, ``allow`` holds accepted findings, ``stated``
reads the version a person reports)."""
