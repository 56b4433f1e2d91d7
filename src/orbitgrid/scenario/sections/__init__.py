"""One module per section of a scenario file, named after its key (``fleet``, ``workloads``, ``economics``,
``network`` ...); the validation framework they share is :mod:`orbitgrid.scenario.base` and the root model
:mod:`orbitgrid.scenario.sections.root`. :mod:`orbitgrid.scenario.models` re-exports every model."""
