//! Instruments from GSAS and GSAS-II instrument parameter files: the profile an instrument
//! scientist refined on a standard, converted to [`Instrument`]'s conventions.
//!
//! Two formats are read, told apart by their content:
//!
//! * **GSAS-I** `.prm`/`.iparm`/`.ins` (Larson & Von Dreele, *GSAS manual*, LAUR 86-748, section
//!   "Instrument parameter file"): 80-column records `INS` + bank (columns 4–6) + key (7–12) +
//!   values. Read are `HTYPE` (a constant-wavelength powder type: X-ray `PXC…` or neutron
//!   `PNC…`, e.g. ILL D1A's `PNCR`), bank 1's `ICONS` (Fortran `3F10, 10X, F10, I5, F10`: λ1,
//!   λ2, ZERO, reserved, POLA, IPOLA, KRATIO — the columns GSAS-II's `SetPowderInstParms` reads,
//!   `s[:10]`, `s[10:20]`, `s[20:30]`, `s[40:50]`, `s[55:65]`; a free-format line of 3, 6 or 7
//!   numbers is also accepted) and profile function 1 (`PRCF1 ` type, term count, cut-off,
//!   then `PRCF11`, `PRCF12`, … four terms a line; the `PRCF  `/`PRCF 1` layout of newer files
//!   too). The terms of each constant-wavelength type
//!   follow EXPGUI's tables (B. H. Toby; the same order as the GSAS manual):
//!   type 1 `GU GV GW asym F1 F2`; type 2 `GU GV GW LX LY trns asym shft GP …`;
//!   types 3 and 5 `GU GV GW GP LX LY S/L H/L trns shft …`; type 4
//!   `GU GV GW GP LX ptec trns shft sfec S/L H/L eta …` (Stephens' anisotropic strain, no LY).
//!   Other banks and profile functions are ignored.
//! * **GSAS-II** `.instprm` (first line `#GSAS-II instrument parameter file…`; `Key:value` items,
//!   one a line or several joined by `;`, as GSAS-II's `ReadInstprm` reads them): `Type` (`PXC`
//!   for X-rays, `PNC` for neutrons), `Lam` or `Lam1`/`Lam2`/`I(L2)/I(L1)`, `Zero`, `Polariz.`
//!   (X-rays; neutrons need none), `Azimuth`, `U`, `V`, `W`, `X`, `Y`, `Z`, `SH/L`. Of a
//!   multi-bank file (`#Bank n:` headers) the first bank is read.
//!
//! Time-of-flight (`PNT…`), energy-dispersive and other types are refused with a message naming
//! the type. The type sets [`GsasInstrument::probe`].
//!
//! # Conversions
//!
//! | ours | from GSAS / GSAS-II | why |
//! | --- | --- | --- |
//! | `u`, `v`, `w` (FWHM², deg²) | 8 ln2 · (GU, GV, GW) / 10⁴ | GSAS's Gaussian is a variance σ² = GU tan²θ + GV tanθ + GW in centidegrees²; FWHM² = 8 ln2 σ², 1 centideg² = 10⁻⁴ deg² |
//! | `x` (tanθ, deg) | LY / 100 (GSAS-II `Y` / 100) | GSAS's Lorentzian FWHM γ = LX / cosθ + LY tanθ in centidegrees (GSAS-II γ = X / cosθ + Y tanθ + Z) |
//! | `y` (1/cosθ, deg) | LX / 100 (GSAS-II `X` / 100) | as above |
//! | `zero` (deg) | ZERO / 100 (GSAS-II `Zero` as is) | both add it to the calculated peak positions (GSAS: 2θ_obs − ZERO is compared with the Bragg angle; GSAS-II's `GetReflPos` returns 2θ_Bragg + Zero, and its GSAS importer takes ZERO/100 without a sign change), as our `zero` is "added to every peak position" |
//! | `polarisation` | X-rays: POLA with IPOLA = 0; GSAS-II `Polariz.`, with `Azimuth` A folded in as P cos²A + (1 − P) sin²A. Neutrons: 1, whatever the file says | IPOLA = 0 makes POLA "the polarized fraction" (R. B. Von Dreele, CCP14 note on POLA/IPOLA); GSAS-II's `Polarization` is (1 − P′) cos²2θ + P′ at azimuth 0 with that P′. Neutrons are not polarised by scattering: P = 1 makes our numerator P + (1 − P) cos²2θ_m cos²2θ equal to 1 |
//! | `monochromator` | X-rays: acos(√POLA) with IPOLA = 1, else none. Neutrons: none | IPOLA = 1 is the diffracted-beam monochromator form 1 + POLA cos²2θ, POLA = cos²2θ_m |
//! | `wavelength` | λ1, with λ2 and KRATIO a doublet; λ2 = 0 (or absent) one line; neutrons one line always (a λ2 ≠ 0 is named in [`GsasInstrument::dropped`]) | a monochromated neutron beam has no Kα2 |
//! | `probe` | X-ray for `PXC`, neutron for `PNC` | what the beam scatters from: the structure factor's form factors or scattering lengths |
//! | `asymmetry` | 0 | GSAS's S/L, H/L (Finger–Cox–Jephcoat) and type-2 `asym` are another model; they are listed in [`GsasInstrument::dropped`] |
//! | `capillary_mu_r` | none | absorption belongs to the sample (GSAS's `ABSCOR`), not the instrument file |
//! | `geometry` | neutrons: Debye–Scherrer; X-rays: Bragg–Brentano | a constant-wavelength neutron diffractometer measures a can in transmission; GSAS-II keeps the geometry with the sample, not the instrument, so an X-ray file does not say (override it with a front end's `geometry`) |
//! | `refined` | true | the profile was refined on a standard |
//!
//! Terms without a place in our model (GP, Z, S/L, H/L, trns, shft, stec, ptec, sfec, anisotropic
//! terms, …) are not carried: those that are not zero are named in [`GsasInstrument::dropped`].
//!
//! ```no_run
//! let g = xrd_refine::gsas::read_instrument("OH_00.prm")?;
//! println!("λ {} Å, P {:?}", g.wavelength.angstrom(), g.instrument.polarisation);
//! for term in &g.dropped {
//!     eprintln!("not carried: {term}");
//! }
//! # Ok::<(), xrd_refine::Error>(())
//! ```

use std::path::Path;

use xrd_io::Wavelength;

use crate::{Error, Instrument, Result};

/// 8 ln 2 / 10⁴: a GSAS Gaussian variance in centidegrees² to our FWHM² in degrees².
const VARIANCE_TO_FWHM2: f64 = 8.0 * std::f64::consts::LN_2 / 1e4;
/// Centidegrees to degrees.
const CENTIDEGREE: f64 = 0.01;

/// An instrument read from a GSAS or GSAS-II instrument parameter file.
#[derive(Debug, Clone, PartialEq)]
pub struct GsasInstrument {
    /// The profile, zero, polarisation, monochromator and probe, in our conventions
    /// (`refined: true`).
    pub instrument: Instrument,
    /// The wavelength of the file: one line, or a Kα1/Kα2 doublet with its intensity ratio
    /// (X-rays only).
    pub wavelength: Wavelength,
    /// X-rays (`PXC`) or neutrons (`PNC`).
    pub probe: xrd_sim::Probe,
    /// Terms of the file our model has no place for and that are not zero, as `name = value` in
    /// the file's units (e.g. `S/L = 0.0011`): what the converted profile does not reproduce.
    pub dropped: Vec<String>,
}

/// Reads a GSAS-I (`.prm`, `.iparm`) or GSAS-II (`.instprm`) instrument parameter file (see the
/// [module documentation](self) for what is read and how it is converted).
///
/// # Errors
/// [`Error::Instrument`] for a file that cannot be read, that is neither format, that describes
/// another kind of instrument than constant-wavelength X-ray or neutron powder diffraction (time
/// of flight `PNT…`, energy dispersive, single crystal: the message names the type), a malformed
/// line (the message names it), a missing item, or values our [`Instrument::check`] rejects.
pub fn read_instrument(path: impl AsRef<Path>) -> Result<GsasInstrument> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::Instrument {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parse_instrument(&String::from_utf8_lossy(&bytes), path)
}

/// Parses the text of a GSAS-I or GSAS-II instrument parameter file; `path` only names the file
/// in errors. See [`read_instrument`].
///
/// # Errors
/// As [`read_instrument`], except for reading the file.
pub fn parse_instrument(text: &str, path: &Path) -> Result<GsasInstrument> {
    let err = |message: String| Error::Instrument {
        path: path.to_path_buf(),
        message,
    };
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    let parsed = if first.is_some_and(|l| l.starts_with('#') && l.contains("GSAS-II")) {
        gsas2(text)
    } else if text.lines().any(|l| l.starts_with("INS")) {
        gsas1(text)
    } else {
        Err(
            "neither a GSAS-II `.instprm` file (first line `#GSAS-II instrument parameter \
             file`) nor a GSAS `.prm` file (`INS` records)"
                .to_owned(),
        )
    }
    .map_err(err)?;
    parsed.instrument.check().map_err(|e| err(e.to_string()))?;
    Ok(parsed)
}

/// A message naming line `n` (1-based).
fn at(n: usize, what: impl std::fmt::Display) -> String {
    format!("line {n}: {what}")
}

/// A shortened copy of a bad token for a message.
fn shown(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// A finite number, or a message naming the line and the token.
fn number(token: &str, n: usize, what: &str) -> std::result::Result<f64, String> {
    token
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| at(n, format!("{what}: `{}` is not a number", shown(token))))
}

/// The profile terms our model carries, converted, and the non-zero terms it drops.
struct Profile {
    gu: f64,
    gv: f64,
    gw: f64,
    /// GSAS's 1/cosθ Lorentzian term (centidegrees).
    lx: f64,
    /// GSAS's tanθ Lorentzian term (centidegrees).
    ly: f64,
    /// FCJ's S/L and H/L, where the file gives them.
    axial: Option<crate::AxialDivergence>,
}

/// The instrument of converted GSAS values (profile in GSAS units, zero in degrees).
fn instrument(
    p: &Profile,
    zero: f64,
    polarisation: Option<f64>,
    monochromator: Option<f64>,
) -> Instrument {
    Instrument {
        u: VARIANCE_TO_FWHM2 * p.gu,
        v: VARIANCE_TO_FWHM2 * p.gv,
        w: VARIANCE_TO_FWHM2 * p.gw,
        x: CENTIDEGREE * p.ly,
        y: CENTIDEGREE * p.lx,
        asymmetry: 0.0,
        zero,
        monochromator,
        polarisation,
        capillary_mu_r: None,
        axial: p.axial,
        refined: true,
        probe: xrd_sim::Probe::XRay,
        geometry: crate::SampleGeometry::BraggBrentano,
    }
}

/// The wavelength of λ1, λ2 (0 or absent for one line) and the Kα2/Kα1 ratio.
fn wavelength(
    lam1: f64,
    lam2: Option<f64>,
    ratio: f64,
    n: usize,
) -> std::result::Result<Wavelength, String> {
    match lam2.filter(|&l| l != 0.0) {
        None => Wavelength::monochromatic(lam1),
        Some(l2) => Wavelength::doublet(lam1, l2, ratio),
    }
    .map_err(|e| at(n, e))
}

/// The probe of a histogram type: `PXC…` X-rays, `PNC…` neutrons (constant wavelength); `None`
/// for every other type.
fn probe(kind: &str) -> Option<xrd_sim::Probe> {
    let kind = kind.trim().to_ascii_uppercase();
    if kind.starts_with("PXC") {
        Some(xrd_sim::Probe::XRay)
    } else if kind.starts_with("PNC") {
        Some(xrd_sim::Probe::Neutron)
    } else {
        None
    }
}

/// The message for a histogram type we do not read.
fn unsupported(n: usize, what: &str, kind: &str) -> String {
    let why = if kind.trim().to_ascii_uppercase().starts_with("PNT") {
        " (time of flight)"
    } else {
        ""
    };
    at(
        n,
        format!(
            "{what} `{}`{why}: only constant-wavelength powder instruments, X-ray (`PXC…`) or \
             neutron (`PNC…`), are read",
            shown(kind)
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// GSAS-I

/// One `INS` record: its line, bank (empty for global records), key and values.
struct Record<'a> {
    n: usize,
    bank: &'a str,
    key: &'a str,
    value: &'a str,
}

fn records(text: &str) -> std::result::Result<Vec<Record<'_>>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if !line.starts_with("INS") {
            continue;
        }
        let (Some(bank), Some(key)) = (line.get(3..6), line.get(6..12).or_else(|| line.get(6..)))
        else {
            return Err(at(
                n,
                format!(
                    "an `INS` record needs a bank in columns 4–6 and a key in columns 7–12, \
                     found `{}`",
                    shown(line)
                ),
            ));
        };
        out.push(Record {
            n,
            bank: bank.trim(),
            key: key.trim(),
            value: line.get(12..).unwrap_or(""),
        });
    }
    Ok(out)
}

/// The values of an `ICONS` record: λ1, λ2, ZERO (centidegrees), POLA (absent when blank), IPOLA,
/// KRATIO.
struct Icons {
    lam1: f64,
    lam2: f64,
    zero: f64,
    pola: Option<f64>,
    ipola: f64,
    kratio: f64,
}

fn icons(value: &str, n: usize) -> std::result::Result<Icons, String> {
    // Fixed columns (3F10, 10X, F10, I5, F10), blank fields 0 as Fortran reads them.
    let fixed = || -> Option<[Option<f64>; 6]> {
        if value.trim_end().len() < 30 || !value.is_ascii() {
            return None;
        }
        let field = |a: usize, b: usize| -> Option<Option<f64>> {
            let s = value.get(a.min(value.len())..b.min(value.len()))?.trim();
            if s.is_empty() {
                Some(None)
            } else {
                s.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some)
            }
        };
        // The reserved field (columns 31–40) must be blank or a number too.
        field(30, 40)?;
        Some([
            field(0, 10)?,
            field(10, 20)?,
            field(20, 30)?,
            field(40, 50)?,
            field(50, 55)?,
            field(55, 65)?,
        ])
    };
    let [lam1, lam2, zero, pola, ipola, kratio] = match fixed() {
        Some(f) => f,
        None => {
            let t: Vec<&str> = value.split_whitespace().collect();
            let num = |i: usize, what: &str| number(t[i], n, what).map(Some);
            match t.len() {
                3 => [
                    num(0, "λ1")?,
                    num(1, "λ2")?,
                    num(2, "ZERO")?,
                    None,
                    None,
                    None,
                ],
                6 | 7 => {
                    let o = t.len() - 6;
                    [
                        num(0, "λ1")?,
                        num(1, "λ2")?,
                        num(2, "ZERO")?,
                        num(3 + o, "POLA")?,
                        num(4 + o, "IPOLA")?,
                        num(5 + o, "KRATIO")?,
                    ]
                }
                k => {
                    return Err(at(
                        n,
                        format!(
                            "ICONS needs λ1 λ2 ZERO [POLA IPOLA KRATIO] in columns 13–77, \
                             found {k} fields"
                        ),
                    ));
                }
            }
        }
    };
    Ok(Icons {
        lam1: lam1.ok_or_else(|| at(n, "ICONS has no λ1"))?,
        lam2: lam2.unwrap_or(0.0),
        zero: zero.unwrap_or(0.0),
        pola,
        ipola: ipola.unwrap_or(0.0),
        kratio: kratio.unwrap_or(0.0),
    })
}

/// The term names of GSAS's constant-wavelength profile functions (EXPGUI's tables).
fn term_names(kind: u32) -> Option<&'static [&'static str]> {
    Some(match kind {
        1 => &["GU", "GV", "GW", "asym", "F1", "F2"],
        2 => &[
            "GU", "GV", "GW", "LX", "LY", "trns", "asym", "shft", "GP", "stec", "ptec", "sfec",
            "L11", "L22", "L33", "L12", "L13", "L23",
        ],
        3 => &[
            "GU", "GV", "GW", "GP", "LX", "LY", "S/L", "H/L", "trns", "shft", "stec", "ptec",
            "sfec", "L11", "L22", "L33", "L12", "L13", "L23",
        ],
        4 => &[
            "GU", "GV", "GW", "GP", "LX", "ptec", "trns", "shft", "sfec", "S/L", "H/L", "eta",
        ],
        5 => &[
            "GU", "GV", "GW", "GP", "LX", "LY", "S/L", "H/L", "trns", "shft", "stec", "ptec",
            "sfec", "D1", "D2", "D3", "D4", "D5", "D6",
        ],
        _ => return None,
    })
}

/// The index of a `PRCF1k` continuation (`1`–`9`, then `A`, `B`, …).
fn continuation(c: char) -> Option<u32> {
    match c {
        '1'..='9' => c.to_digit(10),
        'A'..='Z' => Some(10 + c as u32 - 'A' as u32),
        _ => None,
    }
}

fn gsas1(text: &str) -> std::result::Result<GsasInstrument, String> {
    let records = records(text)?;
    let find = |bank: &str, key: &str| {
        records
            .iter()
            .find(|r| r.bank == bank && r.key.eq_ignore_ascii_case(key))
    };
    let htype = find("", "HTYPE").ok_or("no `INS   HTYPE` record (the histogram type)")?;
    let kind = htype.value.trim().to_ascii_uppercase();
    let probe = probe(&kind).ok_or_else(|| unsupported(htype.n, "histogram type", &kind))?;
    let neutron = probe == xrd_sim::Probe::Neutron;
    let icons_record = find("1", "ICONS").ok_or("no `INS  1 ICONS` record (bank 1's λ, zero)")?;
    let ic = icons(icons_record.value, icons_record.n)?;
    // A monochromated neutron beam is one line, whatever λ2 says.
    let lam2 = (!neutron).then_some(ic.lam2);
    let wl = wavelength(ic.lam1, lam2, ic.kratio, icons_record.n)?;
    // IPOLA is an integer field (I5); a blank POLA leaves the beam unpolarised.
    let ipola = (ic.ipola.fract() == 0.0 && ic.ipola.abs() < 10.0).then_some(ic.ipola as i32);
    let (polarisation, monochromator) = match (ipola, ic.pola) {
        // Neutrons are not polarised by scattering: the numerator is 1 (POLA is ignored).
        _ if neutron => (Some(1.0), None),
        (_, None) => (None, None),
        (Some(0), Some(p)) => (Some(p), None),
        (Some(1), Some(p)) => {
            if !(0.0..=1.0).contains(&p) {
                return Err(at(
                    icons_record.n,
                    format!("POLA = cos²2θ_m = {p} must be in [0, 1] with IPOLA = 1"),
                ));
            }
            (None, Some(p.sqrt().acos().to_degrees()))
        }
        (_, Some(_)) => {
            return Err(at(
                icons_record.n,
                format!(
                    "IPOLA = {}: only 0 (polarised fraction) and 1 (monochromator) are known",
                    ic.ipola
                ),
            ));
        }
    };
    // Profile function 1 of bank 1, in either layout.
    let (prefix, header) = match find("1", "PRCF1") {
        Some(h) => ("PRCF1", h),
        None => (
            "PRCF ",
            find("1", "PRCF").ok_or("no `INS  1PRCF1` record (bank 1's profile function)")?,
        ),
    };
    let h: Vec<&str> = header.value.split_whitespace().collect();
    let kind = h
        .first()
        .and_then(|t| t.parse::<u32>().ok())
        .ok_or_else(|| {
            at(
                header.n,
                format!("a profile type, found `{}`", shown(header.value)),
            )
        })?;
    let names = term_names(kind).ok_or_else(|| {
        at(
            header.n,
            format!("profile type {kind}: only constant-wavelength types 1–5 are known"),
        )
    })?;
    let nterms = h
        .get(1)
        .and_then(|t| t.parse::<usize>().ok())
        .ok_or_else(|| {
            at(
                header.n,
                format!(
                    "a term count after the type, found `{}`",
                    shown(header.value)
                ),
            )
        })?;
    let mut lines: Vec<(u32, &Record<'_>)> = Vec::new();
    for r in records.iter().filter(|r| r.bank == "1") {
        let Some(rest) = r.key.strip_prefix(prefix) else {
            continue;
        };
        let mut chars = rest.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && let Some(k) = continuation(c)
        {
            lines.push((k, r));
        }
    }
    lines.sort_by_key(|(k, _)| *k);
    let mut terms = Vec::new();
    for (_, r) in &lines {
        for t in r.value.split_whitespace() {
            terms.push(number(t, r.n, "a profile term")?);
        }
    }
    // Up to LY (LX for type 4, GW for type 1, which has no Lorentzian part).
    let needed = match kind {
        1 => 3,
        2 | 4 => 5,
        _ => 6,
    };
    if terms.len() < needed {
        return Err(at(
            header.n,
            format!(
                "profile type {kind} needs its first {needed} terms ({}), the file gives {}",
                names[..needed].join(" "),
                terms.len()
            ),
        ));
    }
    let term = |name: &str| {
        names
            .iter()
            .position(|t| *t == name)
            .and_then(|i| terms.get(i).copied())
            .unwrap_or(0.0)
    };
    let axial = crate::AxialDivergence {
        s_l: term("S/L"),
        h_l: term("H/L"),
    };
    // Carried where the file gives a usable pair, dropped (and said) otherwise.
    let axial = axial.check().is_ok().then_some(axial);
    let profile = Profile {
        gu: term("GU"),
        gv: term("GV"),
        gw: term("GW"),
        lx: term("LX"),
        ly: term("LY"),
        axial,
    };
    let carried: &[&str] = if axial.is_some() {
        &["GU", "GV", "GW", "LX", "LY", "S/L", "H/L"]
    } else {
        &["GU", "GV", "GW", "LX", "LY"]
    };
    let mut dropped: Vec<String> = names
        .iter()
        .zip(&terms)
        .take(nterms)
        .filter(|(name, v)| !carried.contains(name) && **v != 0.0)
        .map(|(name, v)| format!("{name} = {v}"))
        .collect();
    if neutron && ic.lam2 != 0.0 {
        dropped.push(format!("λ2 = {}", ic.lam2));
    }
    Ok(GsasInstrument {
        instrument: Instrument {
            probe,
            geometry: crate::SampleGeometry::implied(probe, false),
            ..instrument(&profile, ic.zero * CENTIDEGREE, polarisation, monochromator)
        },
        wavelength: wl,
        probe,
        dropped,
    })
}

// ---------------------------------------------------------------------------------------------
// GSAS-II

fn gsas2(text: &str) -> std::result::Result<GsasInstrument, String> {
    let mut items: Vec<(usize, String, String)> = Vec::new();
    let mut in_bank = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            // `#Bank n: …` headers: read the first bank only.
            if comment
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("bank")
            {
                if in_bank {
                    break;
                }
                in_bank = true;
            }
            continue;
        }
        for item in line.split(';').filter(|s| !s.trim().is_empty()) {
            let (key, value) = item
                .split_once(':')
                .ok_or_else(|| at(n, format!("a `Key:value` item, found `{}`", shown(item))))?;
            items.push((n, key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let get = |key: &str| items.iter().find(|(_, k, _)| k == key);
    let num = |key: &str| -> std::result::Result<Option<(usize, f64)>, String> {
        get(key)
            .map(|(n, _, v)| number(v, *n, key).map(|x| (*n, x)))
            .transpose()
    };
    let (tn, _, kind) =
        get("Type").ok_or("no `Type` item (PXC for X-ray, PNC for neutron constant wavelength)")?;
    let probe = probe(kind).ok_or_else(|| unsupported(*tn, "instrument type", kind))?;
    let neutron = probe == xrd_sim::Probe::Neutron;
    let wl = match (num("Lam")?, num("Lam1")?) {
        (Some((n, lam)), _) => wavelength(lam, None, 0.0, n)?,
        (None, Some((n, lam1))) => {
            // A monochromated neutron beam is one line, whatever `Lam2` says.
            let lam2 = num("Lam2")?.map(|(_, v)| v).filter(|_| !neutron);
            let ratio = num("I(L2)/I(L1)")?.map_or(0.0, |(_, v)| v);
            wavelength(lam1, lam2, ratio, n)?
        }
        (None, None) => return Err("no `Lam` or `Lam1` item (the wavelength)".to_owned()),
    };
    let value = |key: &str| num(key).map(|v| v.map(|(_, x)| x));
    let required = |key: &str| value(key)?.ok_or(format!("no `{key}` item"));
    let profile = Profile {
        gu: required("U")?,
        gv: required("V")?,
        gw: required("W")?,
        lx: value("X")?.unwrap_or(0.0),
        ly: value("Y")?.unwrap_or(0.0),
        axial: value("SH/L")?
            .map(crate::AxialDivergence::from_sh_l)
            .filter(|a| a.check().is_ok()),
    };
    // GSAS-II's polarisation at azimuth A: P′ = P cos²A + (1 − P) sin²A.
    let (s, c) = value("Azimuth")?.unwrap_or(0.0).to_radians().sin_cos();
    let polarisation = if neutron {
        // Neutrons are not polarised by scattering: the numerator is 1.
        Some(1.0)
    } else {
        value("Polariz.")?.map(|p| p * c * c + (1.0 - p) * s * s)
    };
    let mut dropped = Vec::new();
    let ignored: &[&str] = if neutron { &["Z", "Lam2"] } else { &["Z"] };
    for &key in ignored {
        if let Some(v) = value(key)?
            && v != 0.0
        {
            dropped.push(format!("{key} = {v}"));
        }
    }
    if let Some(v) = value("SH/L")?
        && v != 0.0
        && profile.axial.is_none()
    {
        dropped.push(format!("SH/L = {v}"));
    }
    Ok(GsasInstrument {
        instrument: Instrument {
            probe,
            geometry: crate::SampleGeometry::implied(probe, false),
            ..instrument(&profile, value("Zero")?.unwrap_or(0.0), polarisation, None)
        },
        wavelength: wl,
        probe,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agreement of converted values (they are products of short decimals).
    const TOL: f64 = 1e-12;

    fn parse(text: &str) -> Result<GsasInstrument> {
        parse_instrument(text, Path::new("test.prm"))
    }

    /// The message of an [`Error::Instrument`], or a panic naming what came instead.
    fn message(r: Result<GsasInstrument>) -> String {
        match r {
            Err(Error::Instrument { message, .. }) => message,
            other => panic!("expected Error::Instrument, got {other:?}"),
        }
    }

    #[test]
    fn oh_00_prm_of_11_bm() {
        let Some(path) = xrd_testdata::shared_data("series/cucr2o4_11bm/OH_00.prm") else {
            return;
        };
        let g = read_instrument(&path).unwrap();
        let i = &g.instrument;
        assert_eq!(g.wavelength.angstrom(), 0.413263);
        assert_eq!(g.wavelength.alpha2(), None);
        // PRCF11 1.163 −0.126 0.063 (GU GV GW, centideg² of σ²); PRCF12 LX 0.173.
        let k = 8.0 * std::f64::consts::LN_2 / 1e4;
        assert!((i.u - 1.163 * k).abs() < TOL, "{}", i.u);
        assert!((i.v + 0.126 * k).abs() < TOL);
        assert!((i.w - 0.063 * k).abs() < TOL);
        assert!((i.y - 0.00173).abs() < TOL && i.x == 0.0);
        // FWHM at low angle: √(8 ln2 · 0.063) centidegrees ≈ 0.0059°.
        assert!((i.w.sqrt() - 0.00591).abs() < 1e-5, "{}", i.w.sqrt());
        assert_eq!((i.zero, i.asymmetry), (0.0, 0.0));
        assert_eq!(i.polarisation, Some(0.99));
        assert_eq!((i.monochromator, i.capillary_mu_r), (None, None));
        assert!(i.refined);
        assert!(g.dropped.is_empty(), "{:?}", g.dropped);
        assert_eq!(
            i.axial,
            Some(crate::AxialDivergence {
                s_l: 0.0011,
                h_l: 0.0011
            })
        );
    }

    #[test]
    fn gsas1_inline_doublet_zero_and_monochromator() {
        // A laboratory file: Cu Kα doublet, ZERO −2.5 centidegrees, IPOLA = 1 with
        // POLA = cos²26.6° (a graphite monochromator), profile type 2 with LY and GP.
        let pola = 26.6f64.to_radians().cos().powi(2);
        let text = format!(
            "            123456789012345678901234567890123456789012345678901234567890\n\
             INS   BANK      1\n\
             INS   HTYPE   PXCR\n\
             INS  1 ICONS  1.540500  1.544300     -2.50          {pola:10.6}    1       0.5\n\
             INS  1PRCF1     2   18      0.01\n\
             INS  1PRCF11   2.000000E+00  -2.000000E+00   5.000000E+00   1.000000E+00\n\
             INS  1PRCF12   3.000000E+00   0.000000E+00   0.000000E+00   0.000000E+00\n\
             INS  1PRCF13   4.000000E-01   0.000000E+00   0.000000E+00   0.000000E+00\n\
             INS  2 ICONS  9.9 0 0\n"
        );
        let g = parse(&text).unwrap();
        let i = &g.instrument;
        assert_eq!(g.wavelength.angstrom(), 1.5405);
        assert_eq!(g.wavelength.alpha2(), Some(1.5443));
        assert_eq!(g.wavelength.ratio(), 0.5);
        assert!((i.zero + 0.025).abs() < TOL);
        // Type 2: GU GV GW LX LY …: LX 1 → y 0.01°, LY 3 → x 0.03°.
        assert!((i.y - 0.01).abs() < TOL && (i.x - 0.03).abs() < TOL);
        assert_eq!(i.polarisation, None);
        assert!((i.monochromator.unwrap() - 26.6).abs() < 1e-4);
        assert_eq!(g.dropped, vec!["GP = 0.4"]);
        // The free-format ICONS of hand-written files, POLA as the polarised fraction.
        let free = "INS   HTYPE   PXC\nINS  1 ICONS 0.5 0 1.0 0.95 0 0\n\
                    INS  1PRCF1 4 12 0.01\nINS  1PRCF11 1 2 3 0\nINS  1PRCF12 5 0 0 0\n";
        let g = parse(free).unwrap();
        assert_eq!(g.instrument.polarisation, Some(0.95));
        assert!((g.instrument.zero - 0.01).abs() < TOL);
        // Type 4: LX (fifth term) is the only Lorentzian coefficient.
        assert!((g.instrument.y - 0.05).abs() < TOL && g.instrument.x == 0.0);
    }

    #[test]
    fn gsas2_instprm() {
        let text = "#GSAS-II instrument parameter file; do not add/delete items!\n\
                    Type:PXC\nBank:1.0\nLam:0.413263\nPolariz.:0.99\nAzimuth:0.0\nZero:-0.0012\n\
                    U:1.163\nV:-0.126\nW:0.063\nX:0.173\nY:0.5\nZ:0.0\nSH/L:0.002\n";
        let g = parse(text).unwrap();
        let i = &g.instrument;
        let k = 8.0 * std::f64::consts::LN_2 / 1e4;
        assert_eq!(g.wavelength.angstrom(), 0.413263);
        assert!((i.u - 1.163 * k).abs() < TOL && (i.w - 0.063 * k).abs() < TOL);
        assert!((i.y - 0.00173).abs() < TOL && (i.x - 0.005).abs() < TOL);
        assert_eq!(i.zero, -0.0012);
        assert_eq!(i.polarisation, Some(0.99));
        // SH/L = (S + H)/L, S = H.
        assert!(g.dropped.is_empty(), "{:?}", g.dropped);
        assert_eq!(i.axial, Some(crate::AxialDivergence::from_sh_l(0.002)));
        // GSAS-II's laboratory default: a doublet, items joined by `;`, azimuth 90° turning
        // P into 1 − P.
        let lab = "#GSAS-II instrument parameter file for lab CuKa data\nType:PXC\n\
                   Lam1:1.5405;Lam2:1.5443;Zero:0.0;Polariz.:0.7;Azimuth:90.0;I(L2)/I(L1):0.5\n\
                   U:2.0;V:-2.0;W:5.0;X:0.0;Y:0.0;SH/L:0.002\n";
        let g = parse(lab).unwrap();
        assert_eq!(g.wavelength.alpha2(), Some(1.5443));
        assert!((g.instrument.polarisation.unwrap() - 0.3).abs() < 1e-12);
        // A multi-bank file: the first bank.
        let banks = "#GSAS-II instrument parameter file\n#Bank 1: GSAS-II instrument\n\
                     Type:PXC\nLam:1.0\nU:1\nV:0\nW:2\n#Bank 2: GSAS-II instrument\nType:PNT\n";
        assert_eq!(parse(banks).unwrap().wavelength.angstrom(), 1.0);
    }

    /// GSAS-II's `inst_d1a.prm` (ILL D1A, the IUCr CPD round-robin's PbSO4 neutron pattern),
    /// as GSAS-II distributes it with its tests (GSAS-II licence), lines as in the file.
    const INST_D1A: &str =
        "            123456789012345678901234567890123456789012345678901234567890
INS   BANK      1                                                               
INS   HTYPE   PNCR                                                              
INS  1 ICONS  1.909000  0.000000      -0.1         0       0.0    0       0.0
INS  1I HEAD  DUMMY INCIDENT SPECTRUM FOR DIFFRACTOMETER D1A                    
INS  1I ITYP    0    0.0000  180.0000         1                                 
INS  1PRCF1     1    6      0.01                                                
INS  1PRCF11   0.354031E+03  -0.760404E+03   0.651592E+03   0.000000E+00        
INS  1PRCF12   0.000000E+00   0.000000E+00   0.000000E+00   0.000000E+00        
INS  1PRCF2     2    6      0.01                                                
INS  1PRCF21   0.354031E+03  -0.760404E+03   0.651592E+03   0.000000E+00        
INS  1PRCF22   0.000000E+00   0.000000E+00                                      ";

    /// GSAS-II's `INST_XRY.PRM` (the same round-robin's Cu Kα laboratory pattern), likewise.
    const INST_XRY: &str =
        "            123456789012345678901234567890123456789012345678901234567890
INS   BANK      1                                                               
INS   HTYPE   PXCR                                                              
INS  1 IRAD     3                                                               
INS  1 ICONS  1.540500  1.544300       0.0         0       0.7    0       0.5   
INS  1I HEAD  DUMMY INCIDENT SPECTRUM FOR X-RAY DIFFRACTOMETER
INS  1I ITYP    0    0.0000  180.0000         1                                 
INS  1PRCF1     3    8      0.01                                                
INS  1PRCF11   2.000000E+00  -2.000000E+00   5.000000E+00   0.100000E+00        
INS  1PRCF12   0.000000E+00   0.000000E+00   0.150000E-01   0.150000E-01        
";

    #[test]
    fn d1a_neutron_prm() {
        let g = parse(INST_D1A).unwrap();
        let i = &g.instrument;
        assert_eq!(g.probe, xrd_sim::Probe::Neutron);
        // A neutron can in transmission; the X-ray file says nothing, a flat plate is assumed.
        assert_eq!(i.geometry, crate::SampleGeometry::DebyeScherrer);
        assert_eq!(
            parse(INST_XRY).unwrap().instrument.geometry,
            crate::SampleGeometry::BraggBrentano
        );
        assert_eq!(g.wavelength.angstrom(), 1.909);
        assert_eq!(g.wavelength.alpha2(), None);
        // POLA 0.0 with IPOLA 0 in the file, but neutrons are unpolarised: numerator 1.
        assert_eq!(i.polarisation, Some(1.0));
        assert_eq!(i.monochromator, None);
        // Type 1: GU GV GW = 354.031 −760.404 651.592 centideg² (σ²), no Lorentzian part.
        let k = 8.0 * std::f64::consts::LN_2 / 1e4;
        assert!((i.u - 354.031 * k).abs() < TOL, "{}", i.u);
        assert!((i.v + 760.404 * k).abs() < TOL, "{}", i.v);
        assert!((i.w - 651.592 * k).abs() < TOL, "{}", i.w);
        assert_eq!((i.x, i.y, i.asymmetry), (0.0, 0.0, 0.0));
        // ZERO −0.1 centidegrees.
        assert!((i.zero + 0.001).abs() < TOL, "{}", i.zero);
        assert!(g.dropped.is_empty(), "{:?}", g.dropped);
        // The Lorentz–polarisation numerator is then 1 at every angle.
        for t in [10.0f64, 45.0, 80.0] {
            let t = t.to_radians();
            let (lp, _) = xrd_sim::powder::lorentz_polarisation(t, i.monochromator, i.polarisation);
            let lorentz = 1.0 / (t.sin().powi(2) * t.cos());
            assert!((lp / lorentz - 1.0).abs() < 1e-12, "{lp} {lorentz}");
        }
        // A λ2 on a neutron file is not a doublet; it is named.
        let with_l2 = INST_D1A.replace("1.909000  0.000000", "1.909000  0.954500");
        let g = parse(&with_l2).unwrap();
        assert_eq!(g.wavelength.alpha2(), None);
        assert_eq!(g.dropped, vec!["λ2 = 0.9545"]);
    }

    #[test]
    fn inst_xry_stays_x_ray() {
        let g = parse(INST_XRY).unwrap();
        let i = &g.instrument;
        assert_eq!(g.probe, xrd_sim::Probe::XRay);
        assert_eq!(g.wavelength.angstrom(), 1.5405);
        assert_eq!(g.wavelength.alpha2(), Some(1.5443));
        assert_eq!(g.wavelength.ratio(), 0.5);
        assert_eq!(i.polarisation, Some(0.7));
        assert_eq!(i.monochromator, None);
        let k = 8.0 * std::f64::consts::LN_2 / 1e4;
        assert!((i.u - 2.0 * k).abs() < TOL && (i.v + 2.0 * k).abs() < TOL);
        assert!((i.w - 5.0 * k).abs() < TOL);
        // Type 3: GU GV GW GP LX LY S/L H/L: S/L, H/L 0.015 are carried, GP 0.1 is not.
        assert_eq!(g.dropped, vec!["GP = 0.1"]);
        assert_eq!(
            g.instrument.axial,
            Some(crate::AxialDivergence {
                s_l: 0.015,
                h_l: 0.015
            })
        );
    }

    #[test]
    fn gsas2_neutron_instprm() {
        // GSAS-II's constant-wavelength neutron layout: no `Polariz.` needed.
        let text = "#GSAS-II instrument parameter file; do not add/delete items!\n\
                    Type:PNC\nBank:1.0\nLam:1.909\nZero:-0.001\n\
                    U:354.031\nV:-760.404\nW:651.592\nX:0.0\nY:0.0\nZ:0.0\nSH/L:0.002\n";
        let g = parse(text).unwrap();
        assert_eq!(g.probe, xrd_sim::Probe::Neutron);
        assert_eq!(g.wavelength.angstrom(), 1.909);
        assert_eq!(g.instrument.polarisation, Some(1.0));
        assert_eq!(g.instrument.zero, -0.001);
        // A `Polariz.` in a neutron file is ignored too; `Lam1`/`Lam2` give one line.
        let text = "#GSAS-II instrument parameter file\nType:PNCR\nLam1:1.5;Lam2:1.6;\
                    I(L2)/I(L1):0.5;Polariz.:0.5\nU:1\nV:0\nW:2\n";
        let g = parse(text).unwrap();
        assert_eq!(g.instrument.polarisation, Some(1.0));
        assert_eq!(g.wavelength.alpha2(), None);
        assert_eq!(g.dropped, vec!["Lam2 = 1.6"]);
        // The X-ray files keep their probe.
        let x = "#GSAS-II instrument parameter file\nType:PXC\nLam:1.54\nU:1\nV:0\nW:2\n";
        assert_eq!(parse(x).unwrap().probe, xrd_sim::Probe::XRay);
    }

    #[test]
    fn time_of_flight_and_other_types_are_refused() {
        for (text, kind) in [
            (
                "INS   HTYPE   PNTR\nINS  1 ICONS  1.0 0 0\n".to_owned(),
                "`PNTR` (time of flight)",
            ),
            (
                "INS   HTYPE   PXER\nINS  1 ICONS  1.0 0 0\n".to_owned(),
                "`PXER`",
            ),
            (
                "#GSAS-II instrument parameter file\nType:PNT\nU:1\n".to_owned(),
                "`PNT` (time of flight)",
            ),
            (
                "#GSAS-II instrument parameter file\nType:SXC\nU:1\n".to_owned(),
                "`SXC`",
            ),
        ] {
            let m = message(parse(&text));
            assert!(m.contains(kind) && m.contains("line"), "{text:?}: {m}");
            assert!(m.contains("PNC"), "{m}");
        }
    }

    #[test]
    fn malformed_files_name_their_line() {
        let cases: [(&str, &str); 12] = [
            ("hello\nworld\n", "neither"),
            ("INS   HTYPE   PNTR\nINS  1 ICONS  1.0 0 0\n", "line 1"),
            ("INS  1 ICONS  1.0 0 0\n", "HTYPE"),
            ("INS   HTYPE   PXCR\nINS  1 ICONS  1.0 x 0\n", "line 2"),
            (
                "INS   HTYPE   PXCR\nINS  1 ICONS  1.0 0 0 0.9 7 0\nINS  1PRCF1 3 8 0.01\n",
                "line 2: IPOLA",
            ),
            (
                "INS   HTYPE   PXCR\nINS  1 ICONS  1.0 0 0\nINS  1PRCF1 3 8 0.01\n\
                 INS  1PRCF11 1 2 nan 0\nINS  1PRCF12 0 0 0 0\n",
                "line 4",
            ),
            (
                "INS   HTYPE   PXCR\nINS  1 ICONS  1.0 0 0\nINS  1PRCF1 3 8 0.01\n\
                 INS  1PRCF11 1 2 3 0\n",
                "line 3: profile type 3 needs",
            ),
            (
                "INS   HTYPE   PXCR\nINS  1 ICONS  1.0 0 0\nINS  1PRCF1 9 8 0.01\n",
                "line 3: profile type 9",
            ),
            ("INS\n", "line 1"),
            (
                "#GSAS-II instrument parameter file\nType:PXC\nLam 1.54\n",
                "line 3",
            ),
            (
                "#GSAS-II instrument parameter file\nType:PXC\nLam:-1\nU:1\n",
                "line 3",
            ),
            (
                "#GSAS-II instrument parameter file\nType:PXC\nLam:1.54\nU:1\nV:0\n",
                "no `W`",
            ),
        ];
        for (text, expected) in cases {
            let m = message(parse(text));
            assert!(m.contains(expected), "{text:?}: {m}");
        }
        // Values our instrument rejects: W = 0, and a negative Lorentzian term.
        let m = message(parse(
            "#GSAS-II instrument parameter file\nType:PXC\nLam:1.54\nU:1\nV:0\nW:0\n",
        ));
        assert!(m.contains("w"), "{m}");
        let m = message(parse(
            "#GSAS-II instrument parameter file\nType:PXC\nLam:1.54\nU:0\nV:0\nW:1\nX:-0.1\n",
        ));
        assert!(m.contains("≥ 0"), "{m}");
        // A missing file.
        assert!(matches!(
            read_instrument("/nonexistent/xrd-refine/none.prm"),
            Err(Error::Instrument { .. })
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Arbitrary bytes, and arbitrary bytes behind either format's opening, never panic.
        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            head in 0usize..3,
        ) {
            let heads = [
                "",
                "#GSAS-II instrument parameter file\n",
                "INS   HTYPE   PXCR\nINS  1 ICONS",
            ];
            let text = format!("{}{}", heads[head], String::from_utf8_lossy(&bytes));
            let _ = parse(&text);
        }

        /// Records with random numbers in random columns never panic either.
        #[test]
        fn random_records_never_panic(
            fields in proptest::collection::vec(
                (0usize..6, -1e3f64..1e3, 0usize..14),
                0..12,
            ),
        ) {
            let keys = [" ICONS", "PRCF1 ", "PRCF11", "PRCF12", "PRCF  ", "PRCF 1"];
            let mut text = String::from("INS   HTYPE   PXCR\n");
            for (k, v, pad) in fields {
                text.push_str(&format!("INS  1{}{:pad$}{v}   {v}\n", keys[k], ""));
            }
            let _ = parse(&text);
        }
    }
}
