"""PyTorch benchmarks for the cookbook: one harness (timing, statistics, correctness check, provenance, JSON-lines
records) and small modules that each supply an op. Run ``python -m bench --help``; see bench/README.md."""

SCHEMA_VERSION = 1
