"""The abuse tests check promises only; their figures are printed by ``python -m bench.flood``
(docs/guarantees.rst), not by the test run."""
