"""Helpers shared by the test suite, the conformance suite and the benchmarks."""
