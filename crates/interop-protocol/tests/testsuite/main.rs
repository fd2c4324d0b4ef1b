//! The integration tests of `interop-protocol`, one test binary: each module is one area.

mod manifest_loading;
mod process_sections;
mod properties;
mod schema_file;
