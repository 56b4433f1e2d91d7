"""Economics: mass budget, launch price, orbital and terrestrial TCO, levelized cost, uncertainty.

Plain numpy/scipy dataclasses; scenario models are converted at the top.
"""
