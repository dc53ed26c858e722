//! Reference peak lists and their cache.

use proptest::prelude::*;
use xrd_minerals::{Error, ReferenceParams, ReferenceSet};

use crate::common::{amcsd, amcsd_references};

#[test]
fn every_usable_entry_has_reflections_matching_the_simulator() {
    let refs = amcsd_references();
    let lib = amcsd();
    assert_eq!(refs.len(), lib.len());
    let failed = (0..refs.len())
        .filter(|&i| refs.get(i).unwrap().is_err())
        .count();
    assert!(
        failed * 1000 < refs.len(),
        "{failed} entries could not be simulated"
    );
    // Galena: the strongest reflection of PbS with Cu Kα1 is (200) at d = a/2.
    let i = lib
        .entries()
        .iter()
        .position(|e| e.mineral == "Galena")
        .unwrap();
    let sticks = refs.get(i).unwrap().unwrap();
    let strongest = sticks
        .iter()
        .max_by(|a, b| a.intensity.total_cmp(&b.intensity))
        .unwrap();
    let a = lib.entries()[i].cell[0] as f32;
    assert!((strongest.d - a / 2.0).abs() < 1e-3, "{strongest:?}");
    assert_eq!(strongest.intensity, 100.0);
    assert!(
        sticks.windows(2).all(|w| w[0].d >= w[1].d),
        "sorted by decreasing d"
    );
}

#[test]
fn the_cache_reads_back_and_knows_its_key() {
    let lib = crate::common::shared_cifs().unwrap_or_else(amcsd);
    let params = ReferenceParams::new().two_theta_max(80.0);
    let dir = tempfile::tempdir().unwrap();
    let built = ReferenceSet::cached(lib, &params, dir.path(), |_, _| {}).unwrap();
    let path = ReferenceSet::cache_path(lib, &params, dir.path());
    assert!(path.exists());
    let again = ReferenceSet::cached(lib, &params, dir.path(), |_, _| panic!("rebuilt")).unwrap();
    assert_eq!(again, built);
    let bytes = std::fs::read(&path).unwrap();
    let other = params.clone().two_theta_max(90.0);
    assert!(matches!(
        ReferenceSet::from_bytes(&bytes, lib, &other),
        Err(Error::Format { .. })
    ));
    // A damaged cache is rebuilt, not trusted.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let rebuilt = ReferenceSet::cached(lib, &params, dir.path(), |_, _| {}).unwrap();
    assert_eq!(rebuilt, built);
}

fn small_cache() -> &'static (Vec<u8>, ReferenceParams) {
    static C: std::sync::OnceLock<(Vec<u8>, ReferenceParams)> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let params = ReferenceParams::new().two_theta_max(60.0);
        let lib = crate::common::shared_cifs().unwrap_or_else(amcsd);
        let set = ReferenceSet::build(lib, &params, |_, _| {}).unwrap();
        (set.to_bytes(), params)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Truncated or altered cache files are errors, never panics.
    #[test]
    fn damaged_caches_are_errors(cut in 0usize..1_000_000, at in 0usize..1_000_000, byte in any::<u8>()) {
        let (bytes, params) = small_cache();
        let lib = crate::common::shared_cifs().unwrap_or_else(amcsd);
        let cut = cut % bytes.len();
        let truncated = ReferenceSet::from_bytes(&bytes[..cut], lib, params);
        prop_assert!(matches!(truncated, Err(Error::Format { .. })), "{:?}", truncated.err());
        let mut changed = bytes.clone();
        let i = at % changed.len();
        if changed[i] != byte {
            changed[i] = byte;
            let read = ReferenceSet::from_bytes(&changed, lib, params);
            prop_assert!(matches!(read, Err(Error::Format { .. })), "{:?}", read.err());
        }
    }

    #[test]
    fn arbitrary_bytes_are_not_a_cache(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let (_, params) = small_cache();
        let lib = crate::common::shared_cifs().unwrap_or_else(amcsd);
        let read = ReferenceSet::from_bytes(&bytes, lib, params);
        prop_assert!(matches!(read, Err(Error::Format { .. })), "{:?}", read.err());
    }
}
