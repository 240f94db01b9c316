"""Reports of a run: metrics computed one way everywhere, a run record, a PNG and an HTML page.

* :mod:`.metrics`: return, drawdown, Sharpe, Sortino, Calmar, win rate (``env.get_metrics()`` uses them).
* :class:`RunRecorder`: ``rec.record(env, info)`` after each step builds a :class:`RunRecord`
  (per-step and per-fill DataFrames); ``rec.save("run.sqlite")`` writes the run file
  (:mod:`.store`) that ``torchtrade report run.sqlite`` turns into ``run.png`` and ``run.html``.
* :func:`write_report`: the PNG and the HTML of a record.
"""

from .html import write_report
from .metrics import Metrics, compute_metrics, metrics_lines, metrics_rows, periods_per_year
from .record import RunRecord
from .recorder import RunRecorder
from .store import FORMAT, SCHEMA, RunFileError, load_record, save_record

__all__ = [
    "FORMAT",
    "SCHEMA",
    "Metrics",
    "RunFileError",
    "RunRecord",
    "RunRecorder",
    "compute_metrics",
    "load_record",
    "metrics_lines",
    "metrics_rows",
    "periods_per_year",
    "save_record",
    "write_report",
]
