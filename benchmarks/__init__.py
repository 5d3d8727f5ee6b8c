"""Benchmark harness for trialx (`make bench`)."""
