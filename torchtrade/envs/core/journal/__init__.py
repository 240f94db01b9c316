"""The journal: a SQLite file a live env writes as it goes, so that a new process resumes where it was.

``journal="run.sqlite"`` on any env config. Three modules, one job each:

* :mod:`.file`: the file and its writes: a run file (``torchtrade report run.sqlite`` reads it) plus
  the journal's own tables (state, orders, reads, equity), WAL durability, one env per journal
  (an exclusive lock), and what each order, read and step writes;
* :mod:`.resume`: :class:`Journal`, the file plus :meth:`Journal.attach`: a new env on a used journal
  checks the run's identity, resolves the orders the dead process left ``sending``, restores counters,
  books, metrics and the risk stop, and protects (or cancels) brackets;
* :mod:`.trader`: :class:`JournaledTrader`, the env's trader recording each order before it leaves.
"""

from .file import JOURNAL_SCHEMA, JournalFile, config_summary
from .resume import LANDED, Journal
from .trader import JournaledTrader

__all__ = ["JOURNAL_SCHEMA", "LANDED", "Journal", "JournalFile", "JournaledTrader", "config_summary"]
