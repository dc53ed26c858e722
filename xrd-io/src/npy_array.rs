//! NumPy `.npy` arrays: the header parsed and checked against the bytes that follow it before
//! `ndarray-npy` allocates the array (a header that promises more data than the file holds is an
//! error, never a huge allocation), and any supported dtype read as `f64`. Used by the pattern
//! matrices of `numpy` and by the `.npy` pattern-file reader of `formats`.

use ndarray::ArrayD;
use ndarray_npy::{ReadNpyExt, ReadableElement};
use num_traits::ToPrimitive;
use py_literal::Value;

use crate::error::excerpt;
use crate::{Error, Location, Result};

/// Largest integer magnitude an `f64` holds exactly (2⁵³).
pub(crate) const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Element types of `.npy` files this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
}

impl Kind {
    fn size(self) -> usize {
        match self {
            Kind::Bool | Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 => 8,
        }
    }
}

/// What an `.npy` header declares, already checked against the data length.
pub(crate) struct Header {
    pub(crate) kind: Kind,
    pub(crate) shape: Vec<usize>,
}

pub(crate) fn syntax(file: &str, at: usize, expected: &str, found: String) -> Error {
    Error::Syntax {
        file: file.to_owned(),
        at: Location::Byte(at as u64),
        expected: expected.to_owned(),
        found,
    }
}

pub(crate) fn truncated(file: &str, len: usize, expected: String) -> Error {
    Error::Truncated {
        file: file.to_owned(),
        at: Location::Byte(len as u64),
        expected,
    }
}

/// Parses and checks the header of the `.npy` in `bytes` (format versions 1 to 3).
pub(crate) fn header(bytes: &[u8], file: &str) -> Result<Header> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if bytes.len() < MAGIC.len() + 2 {
        return Err(truncated(
            file,
            bytes.len(),
            "the 8-byte .npy preamble".into(),
        ));
    }
    if !bytes.starts_with(MAGIC) {
        let found = excerpt(&String::from_utf8_lossy(&bytes[..MAGIC.len()]));
        return Err(syntax(file, 0, "the .npy magic \\x93NUMPY", found));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len, start) = match (major, minor) {
        (1, 0) => (
            bytes
                .get(8..10)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))),
            10,
        ),
        (2 | 3, 0) => (
            bytes
                .get(8..12)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
            12,
        ),
        _ => {
            return Err(syntax(
                file,
                6,
                ".npy format version 1.0, 2.0 or 3.0",
                format!("{major}.{minor}"),
            ));
        }
    };
    let len = len.ok_or_else(|| truncated(file, bytes.len(), "the header length".into()))?;
    let end = start + len;
    let text = bytes
        .get(start..end)
        .ok_or_else(|| truncated(file, bytes.len(), format!("a header of {len} bytes")))?;
    let text = match text.split_last() {
        Some((b'\n', rest)) => rest,
        _ => {
            return Err(syntax(
                file,
                end.saturating_sub(1),
                "a header ending in a newline",
                "no newline".into(),
            ));
        }
    };
    let text = std::str::from_utf8(text)
        .map_err(|e| syntax(file, start, "a UTF-8 header", e.to_string()))?;
    let bad_header = |found: String| syntax(file, start, "a header dictionary", found);
    let value: Value = text.parse().map_err(|e| bad_header(format!("{e}")))?;
    let Value::Dict(items) = value else {
        return Err(bad_header(excerpt(text)));
    };
    let (mut descr, mut shape) = (None, None);
    for (key, value) in items {
        match (key, value) {
            (Value::String(k), Value::String(d)) if k == "descr" => descr = Some(d),
            (Value::String(k), Value::Tuple(dims)) if k == "shape" => {
                shape = dims
                    .iter()
                    .map(|d| d.as_integer().and_then(|i| i.to_usize()))
                    .collect::<Option<Vec<usize>>>();
            }
            _ => {}
        }
    }
    let descr = descr.ok_or_else(|| {
        syntax(
            file,
            start,
            "a plain numeric dtype ('descr')",
            excerpt(text),
        )
    })?;
    let shape =
        shape.ok_or_else(|| syntax(file, start, "a shape of whole numbers", excerpt(text)))?;
    let code = descr.trim_start_matches(['<', '>', '|', '=']);
    let kind = match code {
        "b1" | "?" => Kind::Bool,
        "i1" | "b" => Kind::I8,
        "i2" => Kind::I16,
        "i4" => Kind::I32,
        "i8" => Kind::I64,
        "u1" | "B" => Kind::U8,
        "u2" => Kind::U16,
        "u4" => Kind::U32,
        "u8" => Kind::U64,
        "f4" => Kind::F32,
        "f8" => Kind::F64,
        _ => {
            return Err(syntax(
                file,
                start,
                "a bool, integer, float32 or float64 dtype",
                excerpt(&descr),
            ));
        }
    };
    let need = shape
        .iter()
        .try_fold(kind.size(), |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            syntax(
                file,
                start,
                "a shape that fits in memory",
                format!("{shape:?}"),
            )
        })?;
    let have = bytes.len() - end;
    if have < need {
        return Err(truncated(
            file,
            bytes.len(),
            format!("{need} bytes of data for shape {shape:?} ({descr})"),
        ));
    }
    if have > need {
        return Err(syntax(
            file,
            end + need,
            "the end of the file after the data",
            format!("{} more bytes", have - need),
        ));
    }
    Ok(Header { kind, shape })
}

/// Reads the array of a checked `.npy` as `T`.
pub(crate) fn load<T: ReadableElement>(bytes: &[u8], file: &str) -> Result<ArrayD<T>> {
    ArrayD::<T>::read_npy(bytes)
        .map_err(|e| syntax(file, 0, "a readable .npy array", e.to_string()))
}

/// 64-bit integers as `f64`, refusing those an `f64` does not hold exactly.
pub(crate) fn exact<T: Copy + std::fmt::Debug>(
    a: ArrayD<T>,
    file: &str,
    to: impl Fn(T) -> Option<f64>,
) -> Result<ArrayD<f64>> {
    if let Some((i, &v)) = a.iter().enumerate().find(|&(_, &v)| to(v).is_none()) {
        return Err(Error::Syntax {
            file: file.to_owned(),
            at: Location::Point(i),
            expected: "integers of magnitude ≤ 2^53 (exact in f64)".into(),
            found: format!("{v:?}"),
        });
    }
    Ok(a.mapv(|v| to(v).unwrap_or(f64::NAN)))
}

/// The array of the `.npy` in `bytes`, any supported dtype, as `f64` (logical element order;
/// Fortran-ordered files come back with a Fortran layout).
pub(crate) fn read_f64(bytes: &[u8], file: &str) -> Result<ArrayD<f64>> {
    Ok(match header(bytes, file)?.kind {
        Kind::Bool => load::<bool>(bytes, file)?.mapv(|v| f64::from(u8::from(v))),
        Kind::I8 => load::<i8>(bytes, file)?.mapv(f64::from),
        Kind::I16 => load::<i16>(bytes, file)?.mapv(f64::from),
        Kind::I32 => load::<i32>(bytes, file)?.mapv(f64::from),
        Kind::I64 => exact(load::<i64>(bytes, file)?, file, |v| {
            (v.unsigned_abs() <= 1 << 53).then_some(v as f64)
        })?,
        Kind::U8 => load::<u8>(bytes, file)?.mapv(f64::from),
        Kind::U16 => load::<u16>(bytes, file)?.mapv(f64::from),
        Kind::U32 => load::<u32>(bytes, file)?.mapv(f64::from),
        Kind::U64 => exact(load::<u64>(bytes, file)?, file, |v| {
            (v <= 1 << 53).then_some(v as f64)
        })?,
        Kind::F32 => load::<f32>(bytes, file)?.mapv(f64::from),
        Kind::F64 => load::<f64>(bytes, file)?,
    })
}

/// The shape declared by the `.npy` in `bytes` (checked against its length).
pub(crate) fn shape_of(bytes: &[u8], file: &str) -> Result<Vec<usize>> {
    header(bytes, file).map(|h| h.shape)
}
