"""Runs of a case's model on an SME's own readings, predictions kept in the lake exactly once.

The model side (signature, limited runner, model files by hash) is the use-cases service's
(``services.usecases.runnable``; ``runner.score_windows`` is the scoring contract). Here is what touches the
lake: ``windows`` (readings to the windows a signature asks for), ``predictions`` (the lake tables of runs
and predictions and their exactly-once commit), ``apply`` (one run: read, window, score, commit), ``follow``
(the scheduled rounds over new snapshots), ``reads`` (runs and predictions of the caller's organisation),
``endpoints`` and ``schemas``.
"""
