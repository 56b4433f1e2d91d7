"""Importers of trace files with column mappings: job traces (:mod:`.jobs`), inference request traces
(:mod:`.requests`) and GPU node lists (:mod:`.nodes`), each with presets for the public traces, on one reader that
names the file, line and column of every problem (:mod:`.reading`)."""
