//! Benchmark-only package: see benches/extism.rs.
