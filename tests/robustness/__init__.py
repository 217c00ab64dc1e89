"""A robustness sweep: every route of both doors, sent hostile input, never answers 5xx.

The tests, and an overview of what is sent to whom, are in `test_sweep.py`; the modules
beside it hold the routes as the sweep sees them (`endpoints`), valid and hostile input
(`valid`, `hostile`, `variants`), the sending and judging (`sweep`), and the real objects
and clients every request meets (`world`).
"""
