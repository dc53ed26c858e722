//! Bruker/Siemens binary RAW, versions 1 (`RAW `), 2 (`RAW2`), 3 (`RAW1.01`) and 4 (`RAW4.00`).
//!
//! All numbers are little-endian. Layouts follow the DIFFRAC^plus XCH manual, appendix A (v3) and
//! the publicly documented structure of the other versions:
//!
//! * v1: per range a 156-byte header (steps u32 @4, time/step f32 @8, step f32 @12, start 2θ f32
//!   @24, sample name @40 (32 bytes), Kα1 f32 @72, Kα2 f32 @76, "another range follows" u32 @152),
//!   then `steps` f32 intensities. Later ranges may omit the leading `RAW `.
//! * v2: range count u16 @4, anode @188, λ1/λ2/ratio f32 @190/194/198, ranges from byte 256: header
//!   length u16 @0, steps u16 @2, time/step f32 @8, step f32 @12, start f32 @16; data after the
//!   header.
//! * v3: range count u32 @12, sample id @326 (60 bytes), anode @608, Kα1/Kα2/ratio f64
//!   @624/632/648; ranges from byte 712: header length u32 @0 (304), steps u32 @4, start 2θ f64 @16,
//!   step f64 @176, time/step f32 @192, supplementary header length u32 @256; data after the header
//!   and its supplements.
//! * v4: 61-byte file header then typed segments (u32 type, u32 length): type 30 holds Kα1/Kα2/ratio
//!   f64 @80/88/104; a type 0 or 160 starts a 160-byte range header: scan type @32 (24 bytes),
//!   start f64 @72, step f64 @80, steps u32 @88, time/step f32 @92, datum size u32 @136, extra
//!   header length u32 @140; data after the extra headers. A datum is a 4-byte f32 intensity,
//!   or an 8-byte record of an f32 intensity followed by a 4-byte status word (seen in files in
//!   the wild; the status word is not interpreted).

use super::text::uniform;
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

/// Bounds-checked little-endian reads; every failure is a [`Error::Truncated`] at the offset.
struct Bytes<'a> {
    data: &'a [u8],
    file: &'a str,
}

impl Bytes<'_> {
    fn slice(&self, at: usize, len: usize, what: &str) -> Result<&[u8]> {
        at.checked_add(len)
            .and_then(|end| self.data.get(at..end))
            .ok_or_else(|| Error::Truncated {
                file: self.file.to_owned(),
                at: Location::Byte(self.data.len() as u64),
                expected: format!("{len} bytes of {what} at byte {at}"),
            })
    }
    fn u16(&self, at: usize, what: &str) -> Result<u16> {
        let b = self.slice(at, 2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, at: usize, what: &str) -> Result<u32> {
        let b = self.slice(at, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&self, at: usize, what: &str) -> Result<f64> {
        Ok(f64::from(f32::from_bits(self.u32(at, what)?)))
    }
    fn f64(&self, at: usize, what: &str) -> Result<f64> {
        let b = self.slice(at, 8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }
    fn text(&self, at: usize, len: usize) -> Option<String> {
        let b = self.data.get(at..at.checked_add(len)?)?;
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        let s = String::from_utf8_lossy(&b[..end]).trim().to_owned();
        (!s.is_empty()).then_some(s)
    }
    /// `steps` f32 intensities from `at`, one per `size`-byte record (the float first), checking
    /// the length first so a bogus count cannot make us allocate.
    fn intensities(&self, at: usize, steps: usize, size: usize) -> Result<Vec<f64>> {
        let need = steps.saturating_mul(size);
        let b = self.slice(at, need, "intensities")?;
        Ok(b.chunks_exact(size)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect())
    }
    fn bad(&self, at: usize, expected: &str, found: String) -> Error {
        Error::Syntax {
            file: self.file.to_owned(),
            at: Location::Byte(at as u64),
            expected: expected.to_owned(),
            found,
        }
    }
}

/// Builds a range's pattern; point `i` lives at byte `data + size·i`.
fn range(
    b: &Bytes<'_>,
    start: f64,
    step: f64,
    y: Vec<f64>,
    (data, size): (usize, usize),
    wl: Option<Wavelength>,
    meta: Metadata,
) -> Result<Pattern> {
    uniform(
        b.file,
        Format::BrukerRaw,
        start,
        step,
        y,
        |i| Location::Byte((data + size * i) as u64),
        wl,
        meta,
    )
}

fn wavelength(a1: f64, a2: f64, ratio: f64) -> Option<Wavelength> {
    if a1.is_finite() && a1 > 0.0 {
        if a2.is_finite() && a2 > 0.0 && (a2 - a1).abs() > 1e-9 && ratio > 0.0 && ratio <= 1.0 {
            Wavelength::doublet(a1, a2, ratio).ok()
        } else {
            Wavelength::monochromatic(a1).ok()
        }
    } else {
        None
    }
}

/// Whether `bytes` start with one of the RAW magics.
pub(crate) fn is_raw(bytes: &[u8]) -> bool {
    bytes.starts_with(b"RAW ")
        || bytes.starts_with(b"RAW2")
        || bytes.starts_with(b"RAW1.01")
        || bytes.starts_with(b"RAW4.00")
}

pub(crate) fn read(bytes: &[u8], file: &str) -> Result<Vec<Pattern>> {
    let b = Bytes { data: bytes, file };
    let (version, patterns) = if bytes.starts_with(b"RAW1.01") {
        (3, v3(&b)?)
    } else if bytes.starts_with(b"RAW4.00") {
        (4, v4(&b)?)
    } else if bytes.starts_with(b"RAW2") {
        (2, v2(&b)?)
    } else if bytes.starts_with(b"RAW ") {
        (1, v1(&b)?)
    } else {
        let found = crate::error::excerpt(&String::from_utf8_lossy(&bytes[..bytes.len().min(8)]));
        return Err(b.bad(
            0,
            "the magic \"RAW \", \"RAW2\", \"RAW1.01\" or \"RAW4.00\"",
            found,
        ));
    };
    if patterns.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "at least one 2θ range".into(),
        });
    }
    Ok(patterns
        .into_iter()
        .map(|mut p| {
            p.meta_mut()
                .extra
                .insert(0, ("RAW version".into(), version.to_string()));
            p
        })
        .collect())
}

/// Guards the number of ranges against absurd counts from corrupt headers.
fn check_ranges(b: &Bytes<'_>, at: usize, n: usize, min_bytes: usize) -> Result<()> {
    if n.saturating_mul(min_bytes) > b.data.len() {
        return Err(b.bad(at, "a range count that fits the file", n.to_string()));
    }
    Ok(())
}

fn v1(b: &Bytes<'_>) -> Result<Vec<Pattern>> {
    const HEADER: usize = 156;
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        // The first range starts with "RAW "; later ones may or may not repeat it.
        if b.data.get(at..at + 4) == Some(b"RAW ") {
            at += 4;
        }
        let r = at.saturating_sub(4); // header offsets below are relative to where "RAW " is (or would be)
        let steps = b.u32(r + 4, "range steps")? as usize;
        let time = b.f32(r + 8, "time per step")?;
        let step = b.f32(r + 12, "step size")?;
        let start = b.f32(r + 24, "start 2θ")?;
        let wl = wavelength(
            b.f32(r + 72, "Kα1")?,
            b.f32(r + 76, "Kα2")?,
            Wavelength::KA2_RATIO,
        );
        let more = b.u32(r + 152, "next-range flag")?;
        let mut meta = Metadata {
            counting_time: Some(time),
            sample: b.text(r + 40, 32),
            ..Metadata::default()
        };
        meta.extra.push(("range".into(), out.len().to_string()));
        let data = r + HEADER;
        let y = b.intensities(data, steps, 4)?;
        out.push(range(b, start, step, y, (data, 4), wl, meta)?);
        at = data + 4 * steps;
        if more == 0 || at >= b.data.len() {
            break;
        }
    }
    Ok(out)
}

fn v2(b: &Bytes<'_>) -> Result<Vec<Pattern>> {
    b.slice(0, 256, "file header")?;
    let n = usize::from(b.u16(4, "range count")?);
    check_ranges(b, 4, n, 48)?;
    let anode = b.text(188, 2);
    let wl = wavelength(
        b.f32(190, "λ1")?,
        b.f32(194, "λ2")?,
        b.f32(198, "Kα2/Kα1 ratio")?,
    );
    let mut at = 256;
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let header = usize::from(b.u16(at, "range header length")?);
        if header < 48 {
            return Err(b.bad(at, "a range header length ≥ 48", header.to_string()));
        }
        let steps = usize::from(b.u16(at + 2, "range steps")?);
        let mut meta = Metadata {
            counting_time: Some(b.f32(at + 8, "time per step")?),
            ..Metadata::default()
        };
        if let Some(a) = &anode {
            meta.extra.push(("anode".into(), a.clone()));
        }
        meta.extra.push(("range".into(), k.to_string()));
        let step = b.f32(at + 12, "step size")?;
        let start = b.f32(at + 16, "start 2θ")?;
        let data = at + header;
        let y = b.intensities(data, steps, 4)?;
        out.push(range(b, start, step, y, (data, 4), wl, meta)?);
        at = data + 4 * steps;
    }
    Ok(out)
}

fn v3(b: &Bytes<'_>) -> Result<Vec<Pattern>> {
    const FILE_HEADER: usize = 712;
    b.slice(0, FILE_HEADER, "file header")?;
    let n = b.u32(12, "range count")? as usize;
    check_ranges(b, 12, n, 304)?;
    let sample = b.text(326, 60);
    let comment = b.text(386, 160);
    let anode = b.text(608, 4);
    let wl = wavelength(
        b.f64(624, "Kα1")?,
        b.f64(632, "Kα2")?,
        b.f64(648, "Kα2/Kα1 ratio")?,
    );
    let mut at = FILE_HEADER;
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let header = b.u32(at, "range header length")? as usize;
        if header < 304 {
            return Err(b.bad(at, "a range header length of 304", header.to_string()));
        }
        let steps = b.u32(at + 4, "range steps")? as usize;
        let start = b.f64(at + 16, "start 2θ")?;
        let step = b.f64(at + 176, "step size")?;
        let time = b.f32(at + 192, "time per step")?;
        let supplements = b.u32(at + 256, "supplementary header length")? as usize;
        let mut meta = Metadata {
            sample: sample.clone(),
            counting_time: Some(time),
            ..Metadata::default()
        };
        meta.comments.extend(comment.clone());
        if let Some(a) = &anode {
            meta.extra.push(("anode".into(), a.clone()));
        }
        meta.extra.push(("range".into(), k.to_string()));
        let data = at
            .checked_add(header)
            .and_then(|v| v.checked_add(supplements))
            .ok_or_else(|| {
                b.bad(
                    at + 256,
                    "a supplementary header length that fits the file",
                    supplements.to_string(),
                )
            })?;
        let y = b.intensities(data, steps, 4)?;
        out.push(range(b, start, step, y, (data, 4), wl, meta)?);
        at = data + 4 * steps;
    }
    Ok(out)
}

fn v4(b: &Bytes<'_>) -> Result<Vec<Pattern>> {
    const FILE_HEADER: usize = 61;
    const RANGE_HEADER: usize = 160;
    let mut at = FILE_HEADER;
    let mut wl = None;
    let mut anode = None;
    // Global segments until the first range.
    loop {
        let kind = b.u32(at, "segment type")?;
        if kind == 0 || kind == 160 {
            break;
        }
        let len = b.u32(at + 4, "segment length")? as usize;
        if len < 8 {
            return Err(b.bad(at + 4, "a segment length ≥ 8", len.to_string()));
        }
        if kind == 30 && len >= 120 {
            wl = wavelength(
                b.f64(at + 80, "Kα1")?,
                b.f64(at + 88, "Kα2")?,
                b.f64(at + 104, "Kα2/Kα1 ratio")?,
            );
            anode = b.text(at + 116, 4);
        }
        at = at.checked_add(len).ok_or_else(|| {
            b.bad(
                at + 4,
                "a segment length that fits the file",
                len.to_string(),
            )
        })?;
    }
    let mut out = Vec::new();
    while at < b.data.len() {
        let kind = b.u32(at, "range marker")?;
        if kind != 0 && kind != 160 {
            return Err(b.bad(at, "a range header (type 0 or 160)", kind.to_string()));
        }
        let scan = b.text(at + 32, 24).unwrap_or_default();
        let start = b.f64(at + 72, "start angle")?;
        let step = b.f64(at + 80, "step size")?;
        let steps = b.u32(at + 88, "range steps")? as usize;
        let time = b.f32(at + 92, "time per step")?;
        let size = b.u32(at + 136, "datum size")? as usize;
        let extra = b.u32(at + 140, "extra header length")? as usize;
        let data = (at + RANGE_HEADER).checked_add(extra).ok_or_else(|| {
            b.bad(
                at + 140,
                "an extra header length that fits the file",
                extra.to_string(),
            )
        })?;
        let end = steps
            .checked_mul(size)
            .and_then(|n| n.checked_add(data))
            .ok_or_else(|| {
                b.bad(
                    at + 88,
                    "a step count that fits the file",
                    steps.to_string(),
                )
            })?;
        let coupled =
            scan.contains("Coupled") || scan.contains("2Theta") || scan.contains("TwoTheta");
        if coupled {
            if size != 4 && size != 8 {
                return Err(b.bad(
                    at + 136,
                    "4-byte intensities or 8-byte (intensity, status) records",
                    size.to_string(),
                ));
            }
            let mut meta = Metadata {
                counting_time: Some(time),
                ..Metadata::default()
            };
            if let Some(a) = &anode {
                meta.extra.push(("anode".into(), a.clone()));
            }
            meta.extra.push(("scan type".into(), scan));
            let y = b.intensities(data, steps, size)?;
            out.push(range(b, start, step, y, (data, size), wl, meta)?);
        } else {
            // Not a 2θ scan (rocking curve, …): skip it, after checking it is really there.
            b.slice(data, end - data, "range data")?;
        }
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Little-endian writer for hand-built files.
    #[derive(Default)]
    pub(crate) struct Builder(pub Vec<u8>);

    impl Builder {
        pub fn at(&mut self, offset: usize, bytes: &[u8]) -> &mut Self {
            if self.0.len() < offset + bytes.len() {
                self.0.resize(offset + bytes.len(), 0);
            }
            self.0[offset..offset + bytes.len()].copy_from_slice(bytes);
            self
        }
        pub fn floats(&mut self, offset: usize, ys: &[f32]) -> &mut Self {
            for (i, y) in ys.iter().enumerate() {
                self.at(offset + 4 * i, &y.to_le_bytes());
            }
            self
        }
    }

    pub(crate) fn v1_file() -> Vec<u8> {
        let mut b = Builder::default();
        b.at(0, b"RAW ")
            .at(4, &3u32.to_le_bytes())
            .at(8, &1.5f32.to_le_bytes())
            .at(12, &0.25f32.to_le_bytes());
        b.at(24, &10.0f32.to_le_bytes())
            .at(40, b"quartz")
            .at(72, &1.540598f32.to_le_bytes())
            .at(76, &1.544426f32.to_le_bytes());
        b.at(152, &1u32.to_le_bytes()).floats(156, &[1.0, 2.0, 3.0]);
        // Second range without the "RAW " marker.
        let r = 156 + 12 - 4;
        b.at(r + 4, &2u32.to_le_bytes())
            .at(r + 12, &0.5f32.to_le_bytes())
            .at(r + 24, &30.0f32.to_le_bytes());
        b.at(r + 152, &0u32.to_le_bytes())
            .floats(r + 156, &[7.0, 8.0]);
        b.0
    }

    pub(crate) fn v2_file() -> Vec<u8> {
        let mut b = Builder::default();
        b.at(0, b"RAW2").at(4, &1u16.to_le_bytes()).at(188, b"Mo");
        b.at(190, &0.709317f32.to_le_bytes())
            .at(194, &0.713607f32.to_le_bytes())
            .at(198, &0.5f32.to_le_bytes());
        b.at(256, &48u16.to_le_bytes())
            .at(258, &2u16.to_le_bytes())
            .at(264, &2.0f32.to_le_bytes());
        b.at(268, &0.05f32.to_le_bytes())
            .at(272, &5.0f32.to_le_bytes())
            .floats(256 + 48, &[11.0, 12.0]);
        b.0
    }

    pub(crate) fn v4_file() -> Vec<u8> {
        v4_file_with(4)
    }

    /// A v4 file whose one range stores `size`-byte data records: 4 (a plain f32) or 8 (an f32
    /// and a status word).
    pub(crate) fn v4_file_with(size: u32) -> Vec<u8> {
        let mut b = Builder::default();
        b.at(0, b"RAW4.00");
        // A VarInfo segment (type 10, 40 bytes) then the hardware segment (type 30, 120 bytes).
        b.at(61, &10u32.to_le_bytes()).at(65, &40u32.to_le_bytes());
        let hw = 101;
        b.at(hw, &30u32.to_le_bytes())
            .at(hw + 4, &120u32.to_le_bytes());
        b.at(hw + 80, &1.788996f64.to_le_bytes())
            .at(hw + 88, &1.792835f64.to_le_bytes())
            .at(hw + 104, &0.5f64.to_le_bytes());
        b.at(hw + 116, b"Co");
        let r = hw + 120;
        b.at(r, &0u32.to_le_bytes())
            .at(r + 32, b"Locked Coupled")
            .at(r + 72, &20.0f64.to_le_bytes());
        b.at(r + 80, &0.1f64.to_le_bytes())
            .at(r + 88, &3u32.to_le_bytes())
            .at(r + 92, &0.5f32.to_le_bytes());
        b.at(r + 136, &size.to_le_bytes())
            .at(r + 140, &8u32.to_le_bytes());
        b.at(r + 160, &99u32.to_le_bytes())
            .at(r + 164, &8u32.to_le_bytes());
        let data = r + 168;
        for (i, y) in [5.0f32, 6.0, 7.0].iter().enumerate() {
            let record = data + size as usize * i;
            b.at(record, &y.to_le_bytes());
            if size == 8 {
                // A status word that is not a plausible float of the pattern.
                b.at(record + 4, &0xFFFF_FFFFu32.to_le_bytes());
            }
        }
        b.0
    }

    #[test]
    fn version_1_two_ranges() {
        let ps = read(&v1_file(), "v1.raw").unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].two_theta(), &[10.0, 10.25, 10.5]);
        assert_eq!(ps[0].intensity(), &[1.0, 2.0, 3.0]);
        assert_eq!(ps[0].meta().sample.as_deref(), Some("quartz"));
        assert_eq!(ps[0].meta().counting_time, Some(1.5));
        assert!((ps[0].wavelength().unwrap().angstrom() - 1.540598).abs() < 1e-6);
        assert_eq!(ps[1].two_theta(), &[30.0, 30.5]);
        assert_eq!(ps[1].intensity(), &[7.0, 8.0]);
    }

    #[test]
    fn version_2_and_4() {
        let ps = read(&v2_file(), "v2.raw").unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].intensity(), &[11.0, 12.0]);
        assert!((ps[0].two_theta()[1] - 5.05).abs() < 1e-6);
        assert_eq!(ps[0].wavelength().unwrap().anode(), Some(crate::Anode::Mo));
        let ps = read(&v4_file(), "v4.raw").unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].intensity(), &[5.0, 6.0, 7.0]);
        assert!((ps[0].two_theta()[2] - 20.2).abs() < 1e-12);
        assert_eq!(ps[0].wavelength(), Some(Wavelength::CO_KA));
        assert_eq!(ps[0].meta().get("scan type"), Some("Locked Coupled"));
    }

    #[test]
    fn version_4_with_eight_byte_records() {
        let four = read(&v4_file_with(4), "v4.raw").unwrap();
        let eight = read(&v4_file_with(8), "v4.raw").unwrap();
        assert_eq!(eight.len(), 1);
        assert_eq!(eight[0].intensity(), &[5.0, 6.0, 7.0]);
        assert_eq!(eight[0].two_theta(), four[0].two_theta());
        assert_eq!(eight[0].wavelength(), Some(Wavelength::CO_KA));
        // The range takes 8 bytes per point: cutting into the last status word is truncation.
        let file = v4_file_with(8);
        assert!(matches!(
            read(&file[..file.len() - 2], "t.raw"),
            Err(Error::Truncated { .. })
        ));
        // Errors name the byte of the offending record.
        let mut nan = v4_file_with(8);
        let last = nan.len() - 8;
        nan[last..last + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        let e = read(&nan, "t.raw").unwrap_err();
        assert!(
            matches!(e, Error::NonFinite { at: Location::Byte(b), .. } if b == last as u64),
            "{e}"
        );
        for size in [2, 6, 16] {
            let e = read(&v4_file_with(size), "t.raw").unwrap_err();
            assert!(
                matches!(e, Error::Syntax { .. }) && e.to_string().contains("8-byte"),
                "{e}"
            );
        }
    }

    #[test]
    fn truncated_and_corrupt_files_are_errors() {
        for file in [v1_file(), v2_file(), v4_file()] {
            let cut = &file[..file.len() - 2];
            assert!(
                matches!(read(cut, "t.raw"), Err(Error::Truncated { .. })),
                "{:?}",
                read(cut, "t.raw")
            );
        }
        assert!(matches!(
            read(b"RAW1.01\0", "t.raw"),
            Err(Error::Truncated { .. })
        ));
        let mut nan = v2_file();
        let n = nan.len();
        nan[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
        let e = read(&nan, "t.raw").unwrap_err();
        assert!(
            matches!(e, Error::NonFinite { at: Location::Byte(b), .. } if b == (n - 4) as u64),
            "{e}"
        );
        let mut many = v2_file();
        many[4..6].copy_from_slice(&60000u16.to_le_bytes());
        assert!(matches!(read(&many, "t.raw"), Err(Error::Syntax { .. })));
    }
}
