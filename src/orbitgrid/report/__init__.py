"""Human-readable views of a run directory: ``report.html``, one self-contained page of plots and tables."""

from orbitgrid.report.html import REPORT_NAME, SECTIONS, render_report, write_report

__all__ = ["REPORT_NAME", "SECTIONS", "render_report", "write_report"]
