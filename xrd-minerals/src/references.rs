//! Reference peak lists: every library entry simulated with xrd-sim for one wavelength and 2θ
//! range, and their on-disk cache.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::Wavelength;
use xrd_sim::{PowderParams, Simulator};

use crate::error::{format, invalid};
use crate::library::{Library, fnv1a};
use crate::{Error, Result};

/// Default upper end of the simulated 2θ range (°): the measured range of most lab patterns
/// (to 90°) plus room for a cell 2 % smaller.
pub const DEFAULT_TWO_THETA_MAX: f64 = 100.0;
/// Default floor of a kept reflection, in % of the strongest.
pub const DEFAULT_MIN_RELATIVE_INTENSITY: f64 = 0.2;

const MAGIC: &[u8; 8] = b"XRDREF\x00\x01";

/// How reference patterns are simulated (builder; defaults on each setter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceParams {
    wavelength: Wavelength,
    two_theta_max: f64,
    min_relative_intensity: f64,
}

impl Default for ReferenceParams {
    fn default() -> Self {
        Self {
            wavelength: Wavelength::CU_KA1,
            two_theta_max: DEFAULT_TWO_THETA_MAX,
            min_relative_intensity: DEFAULT_MIN_RELATIVE_INTENSITY,
        }
    }
}

xrd_io::param_guard!(crate::Error => ReferenceParams);

impl ReferenceParams {
    /// Cu Kα1, 2θ up to [`DEFAULT_TWO_THETA_MAX`], reflections above
    /// [`DEFAULT_MIN_RELATIVE_INTENSITY`] % of the strongest.
    pub fn new() -> Self {
        Self::default()
    }

    /// The source, of which only the primary line is kept (default Cu Kα1, xrd-io's
    /// [`Wavelength::CU_KA1`]): a doublet's Kα2 is added when a pattern is matched, not here.
    #[must_use]
    pub fn wavelength(mut self, wavelength: Wavelength) -> Self {
        self.wavelength = wavelength.without_alpha2();
        self
    }

    /// The source set by [`ReferenceParams::wavelength`] (its primary line).
    pub fn get_wavelength(&self) -> Wavelength {
        self.wavelength
    }

    xrd_io::setters! {
        /// Upper end of 2θ (°), default [`DEFAULT_TWO_THETA_MAX`]; the range starts at 0.
        #[must_use]
        two_theta_max, get_two_theta_max: f64;

        /// Reflections weaker than this % of the strongest are dropped; default
        /// [`DEFAULT_MIN_RELATIVE_INTENSITY`].
        #[must_use]
        min_relative_intensity, get_min_relative_intensity: f64;
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the setter.
    pub fn check(&self) -> Result<()> {
        if !(self.two_theta_max.is_finite()
            && self.two_theta_max > 0.0
            && self.two_theta_max < 180.0)
        {
            return Err(invalid(
                "two_theta_max",
                format!("{}° (expected 0 < 2θ < 180)", self.two_theta_max),
            ));
        }
        if !(self.min_relative_intensity.is_finite()
            && (0.0..100.0).contains(&self.min_relative_intensity))
        {
            return Err(invalid(
                "min_relative_intensity",
                format!("{} (expected 0 ≤ % < 100)", self.min_relative_intensity),
            ));
        }
        Ok(())
    }

    fn key(&self) -> u64 {
        let mut bytes = Vec::new();
        for v in [
            self.wavelength.angstrom(),
            self.two_theta_max,
            self.min_relative_intensity,
        ] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        fnv1a(&bytes)
    }
}

/// One reflection of a reference (equivalent reflections merged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stick {
    /// d-spacing (Å).
    pub d: f32,
    /// Intensity with the Lorentz–polarisation factor at the set's wavelength, the strongest
    /// of the entry 100.
    pub intensity: f32,
    /// Miller indices of one reflection of the peak.
    pub hkl: [i16; 3],
}

/// The simulated reflections of every entry of a library, in entry order.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceSet {
    params: ReferenceParams,
    fingerprint: u64,
    sticks: Vec<std::result::Result<Vec<Stick>, String>>,
}

impl ReferenceSet {
    /// Simulates every entry on all cores; `progress(done, total)` is called as entries finish.
    /// An entry that cannot be simulated keeps the reason ([`ReferenceSet::get`]).
    ///
    /// # Errors
    /// Invalid parameters.
    pub fn build(
        library: &Library,
        params: &ReferenceParams,
        progress: impl Fn(usize, usize) + Sync,
    ) -> Result<Self> {
        params.check()?;
        let sim = Simulator::new(
            PowderParams::new()
                .radiation(params.wavelength)
                .two_theta_range(0.0, params.two_theta_max),
        )?;
        let done = std::sync::atomic::AtomicUsize::new(0);
        let total = library.len();
        let sticks = library
            .entries()
            .par_iter()
            .map(|entry| {
                let r = simulate(&sim, entry, params.min_relative_intensity);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n.is_multiple_of(256) || n == total {
                    progress(n, total);
                }
                r
            })
            .collect();
        Ok(Self {
            params: params.clone(),
            fingerprint: library.fingerprint(),
            sticks,
        })
    }

    /// The cached set for this library and these parameters from `dir`, or a new one built and
    /// written there (atomically) when there is none or it does not read back.
    ///
    /// # Errors
    /// As [`ReferenceSet::build`]; [`Error::File`] when the cache cannot be written.
    pub fn cached(
        library: &Library,
        params: &ReferenceParams,
        dir: impl AsRef<Path>,
        progress: impl Fn(usize, usize) + Sync,
    ) -> Result<Self> {
        params.check()?;
        let path = Self::cache_path(library, params, dir.as_ref());
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(set) = Self::from_bytes(&bytes, library, params)
        {
            return Ok(set);
        }
        let set = Self::build(library, params, progress)?;
        std::fs::create_dir_all(dir.as_ref()).map_err(|source| Error::File {
            path: dir.as_ref().to_owned(),
            source,
        })?;
        xrd_io::write_atomic(&path, &set.to_bytes()).map_err(|source| Error::File {
            path: path.clone(),
            source,
        })?;
        Ok(set)
    }

    /// Where [`ReferenceSet::cached`] keeps the set: named by the library's fingerprint and the
    /// parameters.
    pub fn cache_path(library: &Library, params: &ReferenceParams, dir: &Path) -> PathBuf {
        dir.join(format!(
            "references-{:016x}-{:016x}.bin",
            library.fingerprint(),
            params.key()
        ))
    }

    /// The parameters.
    pub fn params(&self) -> &ReferenceParams {
        &self.params
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.sticks.len()
    }

    /// `true` for an empty library.
    pub fn is_empty(&self) -> bool {
        self.sticks.is_empty()
    }

    /// The reflections of entry `i` (sorted by decreasing d), or why it has none.
    pub fn get(&self, i: usize) -> Option<std::result::Result<&[Stick], &str>> {
        self.sticks
            .get(i)
            .map(|r| r.as_ref().map(Vec::as_slice).map_err(String::as_str))
    }

    /// The set as the bytes of a cache file: a magic number, the library's fingerprint and the
    /// parameters' key, the entries, and a checksum of all of it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.fingerprint.to_le_bytes());
        out.extend_from_slice(&self.params.key().to_le_bytes());
        out.extend_from_slice(&(self.sticks.len() as u64).to_le_bytes());
        for r in &self.sticks {
            match r {
                Ok(sticks) => {
                    out.push(0);
                    out.extend_from_slice(&(sticks.len() as u32).to_le_bytes());
                    for s in sticks {
                        out.extend_from_slice(&s.d.to_le_bytes());
                        out.extend_from_slice(&s.intensity.to_le_bytes());
                        for h in s.hkl {
                            out.extend_from_slice(&h.to_le_bytes());
                        }
                    }
                }
                Err(reason) => {
                    out.push(1);
                    out.extend_from_slice(&(reason.len() as u32).to_le_bytes());
                    out.extend_from_slice(reason.as_bytes());
                }
            }
        }
        let sum = fnv1a(&out);
        // Writing to a Vec cannot fail.
        let _ = out.write_all(&sum.to_le_bytes());
        out
    }

    /// Reads a cache file made for `library` and `params`.
    ///
    /// # Errors
    /// [`Error::Format`] when the bytes are corrupt, truncated, or were made for another library
    /// or other parameters.
    pub fn from_bytes(bytes: &[u8], library: &Library, params: &ReferenceParams) -> Result<Self> {
        let what = "reference cache";
        let bad = |reason: &str| format(what, reason);
        if bytes.len() < MAGIC.len() + 32 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("not a reference cache of this version"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if fnv1a(body) != u64::from_le_bytes(sum.try_into().map_err(|_| bad("truncated"))?) {
            return Err(bad("checksum mismatch (corrupt or truncated)"));
        }
        let mut r = Reader {
            bytes: &body[MAGIC.len()..],
        };
        if r.u64()? != library.fingerprint() || r.u64()? != params.key() {
            return Err(bad("made for another library or other parameters"));
        }
        let n = r.u64()?;
        if n != library.len() as u64 {
            return Err(bad("entry count differs from the library's"));
        }
        let mut sticks = Vec::with_capacity(library.len());
        for _ in 0..n {
            match r.u8()? {
                0 => {
                    let m = r.u32()? as usize;
                    if m > r.bytes.len() / 14 {
                        return Err(bad("truncated"));
                    }
                    let mut v = Vec::with_capacity(m);
                    for _ in 0..m {
                        let d = f32::from_le_bytes(r.take()?);
                        let intensity = f32::from_le_bytes(r.take()?);
                        let hkl = [0; 3].map(|_| r.take().map(i16::from_le_bytes));
                        let [h, k, l] = hkl;
                        if !(d.is_finite() && d > 0.0 && intensity.is_finite()) {
                            return Err(bad("a reflection is not finite"));
                        }
                        v.push(Stick {
                            d,
                            intensity,
                            hkl: [h?, k?, l?],
                        });
                    }
                    sticks.push(Ok(v));
                }
                1 => {
                    let m = r.u32()? as usize;
                    let text = r.slice(m)?;
                    sticks.push(Err(String::from_utf8_lossy(text).into_owned()));
                }
                _ => return Err(bad("unknown entry tag")),
            }
        }
        if !r.bytes.is_empty() {
            return Err(bad("trailing bytes"));
        }
        Ok(Self {
            params: params.clone(),
            fingerprint: library.fingerprint(),
            sticks,
        })
    }
}

/// Reads little-endian values, refusing to run past the end.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn slice(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(format("reference cache", "truncated"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.slice(N)?;
        let mut a = [0; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take()?))
    }
}

/// One entry's reflections above the floor, strongest 100, by decreasing d.
fn simulate(
    sim: &Simulator,
    entry: &crate::Entry,
    min_percent: f64,
) -> std::result::Result<Vec<Stick>, String> {
    let structure = entry.structure().map_err(|e| e.to_string())?;
    let peaks = sim.peaks(&structure).map_err(|e| e.to_string())?;
    let max = peaks.max_intensity();
    let mut out: Vec<Stick> = peaks
        .peaks()
        .iter()
        .filter(|p| p.intensity / max * 100.0 >= min_percent)
        .map(|p| Stick {
            d: p.d_spacing as f32,
            intensity: (p.intensity / max * 100.0) as f32,
            hkl: p.hkl.map(|h| h.clamp(-32768.0, 32767.0) as i16),
        })
        .collect();
    out.sort_by(|a, b| b.d.total_cmp(&a.d));
    Ok(out)
}
