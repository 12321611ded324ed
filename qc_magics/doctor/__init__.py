"""`qc-magics doctor`: a read-only, free conformance probe of a QuantConnect account.

>>> from qc_magics.doctor import probe, write_report
>>> result = probe(config.client())
>>> print(result); write_report(result, "doctor.json")
"""
from .checks import Check, Diagnosis, probe
from .report import redacted, write_report

__all__ = ["Check", "Diagnosis", "probe", "redacted", "write_report"]
