"""On-demand benchmarks (`make bench`): webhook ingest and catalog warm read. See README.md."""
