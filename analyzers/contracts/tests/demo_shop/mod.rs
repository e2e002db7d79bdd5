//! The demo shop's spec, `fixtures/rules/contracts/contract-test/openapi.yaml`, shared by the
//! contract-test suites.

use std::path::{Path, PathBuf};

use commerce_contracts::load::{self, DEFAULT_MAX_SPEC_BYTES, Loaded};
use commerce_contracts::{SourceReader, SpecSource};
use commerce_project::OsFs;

pub fn spec() -> Loaded {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/contracts/contract-test");
    let reader = SourceReader {
        fs: &OsFs,
        root: &root,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    load::load(&reader, &SpecSource::Path(PathBuf::from("openapi.yaml")))
        .expect("the demo spec loads")
}
