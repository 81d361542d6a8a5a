"""Privacy screen: find personal identifiers in extracted text before chunking.

    report = screen_text(text, allowlist=Allowlist.load(path), config=ScreenConfig.load(None))
    if not report.clean: ...quarantine...; redact(text, report)
"""
from .config import ScreenConfig
from .detectors import KINDS, luhn_valid, ohip_valid, sin_valid
from .resolve import Allowlist, mask
from .screen import Finding, ScreenReport, redact, screen_text

__all__ = [
    "KINDS",
    "Allowlist",
    "Finding",
    "ScreenConfig",
    "ScreenReport",
    "luhn_valid",
    "mask",
    "ohip_valid",
    "redact",
    "screen_text",
    "sin_valid",
]
