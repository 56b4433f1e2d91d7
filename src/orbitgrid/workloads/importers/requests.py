"""Inference request traces from any file: a :class:`RequestMapping` (arrival time, prompt tokens, output tokens)
turns a CSV, Parquet or JSON Lines trace into a :class:`~orbitgrid.workloads.jobs.RequestTable`;
:data:`REQUEST_PRESETS` holds the public LLM serving traces.

Arrivals count seconds from the trace's first request. Rows without an arrival time or token counts, and requests
the trace records as failed (BurstGPT's zero-token responses), are dropped and counted; rows out of arrival order
are sorted and counted; a negative or impossible token count raises
:class:`~orbitgrid.workloads.traces.TraceFormatError` naming its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from orbitgrid.workloads.importers.reading import ColumnKind, FileFormat, read_columns
from orbitgrid.workloads.importers.values import TimeUnit, amounts, times_s
from orbitgrid.workloads.jobs import RequestTable

#: Largest token count of one request read (100x the longest context windows offered, 1M tokens).
MAX_TOKENS = 100_000_000


@dataclass(frozen=True)
class RequestMapping:
    """Which column holds the arrival time, the prompt tokens and the output tokens."""

    arrival: str
    prompt_tokens: str
    output_tokens: str
    time_unit: TimeUnit = "s"
    timezone: str = "UTC"
    drop_zero_output: bool = False  # a request with no output tokens failed (BurstGPT)
    file_format: FileFormat | None = None

    def kinds(self) -> dict[str, ColumnKind]:
        return {
            self.arrival: "string" if self.time_unit == "datetime" else "number",
            self.prompt_tokens: "number",
            self.output_tokens: "number",
        }


@dataclass(frozen=True)
class RequestPreset:
    mapping: RequestMapping
    reads: str
    source: str


_AZURE = RequestMapping(
    arrival="TIMESTAMP", prompt_tokens="ContextTokens", output_tokens="GeneratedTokens", time_unit="datetime"
)
_AZURE_SOURCE = (
    "github.com/Azure/AzurePublicDataset, AzureLLMInferenceDataset2023.md (Patel et al., Splitwise, ISCA 2024): "
    "TIMESTAMP (UTC date-time), ContextTokens (prompt), GeneratedTokens (output)"
)

#: Mappings of the public LLM inference traces.
REQUEST_PRESETS: dict[str, RequestPreset] = {
    "azure_conv_2023": RequestPreset(_AZURE, "AzureLLMInferenceTrace_conv.csv (one hour, 2023-11-16)", _AZURE_SOURCE),
    "azure_code_2023": RequestPreset(_AZURE, "AzureLLMInferenceTrace_code.csv (one hour, 2023-11-16)", _AZURE_SOURCE),
    "azure_2024": RequestPreset(
        _AZURE,
        "AzureLLMInferenceTrace_code_1week.csv and AzureLLMInferenceTrace_conv_1week.csv (one week, May 2024)",
        "github.com/Azure/AzurePublicDataset, AzureLLMInferenceDataset2024.md (Stojkovic et al., DynamoLLM, HPCA "
        "2025): the 2023 columns TIMESTAMP, ContextTokens, GeneratedTokens",
    ),
    "burstgpt": RequestPreset(
        RequestMapping(
            arrival="Timestamp", prompt_tokens="Request tokens", output_tokens="Response tokens", drop_zero_output=True
        ),
        "BurstGPT_*.csv of HPMLL/BurstGPT",
        "github.com/HPMLL/BurstGPT README (Wang et al., arXiv:2401.17644): Timestamp (s from the trace start), "
        "Model, Request tokens, Response tokens, Total tokens, Log Type; a zero Response tokens is a failed request",
    ),
    "mooncake": RequestPreset(
        RequestMapping(
            arrival="timestamp",
            prompt_tokens="input_length",
            output_tokens="output_length",
            time_unit="ms",
            file_format="jsonl",
        ),
        "mooncake_trace.jsonl (and the conversation, tool-and-agent, synthetic traces) of kvcache-ai/Mooncake",
        "github.com/kvcache-ai/Mooncake, FAST25-release/traces (Qin et al., FAST 2025): one JSON object per line "
        "with timestamp (ms from the trace start), input_length, output_length, hash_ids",
    ),
}


@dataclass(frozen=True)
class RequestImport:
    """The requests read (``arrival_s`` from the first request), rows in the file, and the counts of rows dropped
    and adjusted by reason."""

    path: Path
    requests: RequestTable
    rows: int
    dropped: dict[str, int]
    adjusted: dict[str, int]
    t0_s: float


def import_requests(path: str | Path, mapping: RequestMapping, *, service: int = 0) -> RequestImport:
    """Requests of one service (JobTable row ``service``) from a trace file; user locations unknown (NaN)."""
    cols = read_columns(path, mapping.kinds(), fmt=mapping.file_format)
    n = cols.rows
    dropped: dict[str, int] = {}
    adjusted: dict[str, int] = {}
    t = times_s(cols, mapping.arrival, mapping.time_unit, mapping.timezone)
    prompt = amounts(cols, mapping.prompt_tokens, "tokens", MAX_TOKENS, whole=True)
    output = amounts(cols, mapping.output_tokens, "tokens", MAX_TOKENS, whole=True)
    keep = np.ones(n, dtype=bool)
    for reason, bad in (
        ("no arrival time", np.isnan(t)),
        ("no prompt token count", np.isnan(prompt)),
        ("no output token count", np.isnan(output)),
    ):
        sel = keep & bad
        if sel.any():
            dropped[reason] = int(sel.sum())
        keep &= ~bad
    if mapping.drop_zero_output:
        failed = keep & (output == 0)
        if failed.any():
            dropped["failed request (no output tokens)"] = int(failed.sum())
        keep &= ~failed
    rows = np.flatnonzero(keep)
    tk = t[rows]
    back = int(np.count_nonzero(np.diff(tk) < 0)) if tk.size > 1 else 0
    if back:
        adjusted["rows out of arrival order: sorted"] = back
    order = np.argsort(tk, kind="stable")
    t0 = float(tk.min()) if tk.size else 0.0
    k = rows.size
    requests = RequestTable(
        service=np.full(k, service, np.int64),
        arrival_s=(tk - t0)[order],
        input_tokens=prompt[rows][order].astype(np.int64),
        output_tokens=output[rows][order].astype(np.int64),
        user_lat_deg=np.full(k, np.nan),
        user_lon_deg=np.full(k, np.nan),
    )
    return RequestImport(Path(path), requests, n, dropped, adjusted, t0)


def request_format(name: str) -> Literal["preset"]:
    """Raises KeyError naming the presets for an unknown name."""
    if name not in REQUEST_PRESETS:
        raise KeyError(f"no request-trace preset {name!r}; known: {', '.join(REQUEST_PRESETS)}")
    return "preset"
