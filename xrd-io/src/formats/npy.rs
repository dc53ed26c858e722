//! NumPy `.npy` columns: one 2-D array of shape (points, 2) or (points, 3) holding 2θ, intensity
//! and optionally sigma — what `numpy.save("scan.npy", np.column_stack([tth, counts]))` writes and
//! [`crate::write`] writes for [`crate::OutputFormat::Npy`]. Every dtype, byte order and layout
//! the data-set reader takes (its header checks included: [`crate::Dataset::read_npy`] reads
//! pattern matrices).

use ndarray::Axis;

use super::text::Points;
use crate::{Error, Format, Location, Metadata, Pattern, Result};

/// NumPy's magic string.
pub(crate) const MAGIC: &[u8] = b"\x93NUMPY";

pub(crate) fn read(bytes: &[u8], file: &str) -> Result<Vec<Pattern>> {
    let array = crate::npy_array::read_f64(bytes, file)?;
    let shape = array.shape().to_vec();
    if !(shape.len() == 2 && (shape[1] == 2 || shape[1] == 3)) {
        return Err(Error::Syntax {
            file: file.to_owned(),
            at: Location::Whole,
            expected: "a NumPy array of shape (points, 2) or (points, 3): 2θ, intensity[, sigma]"
                .into(),
            found: format!("shape {shape:?}"),
        });
    }
    let mut points = Points::with_capacity(shape[0]);
    for (i, row) in array.axis_iter(Axis(0)).enumerate() {
        let sigma = (shape[1] == 3).then(|| row[2]);
        points.push(row[0], row[1], sigma, Location::Point(i));
    }
    let pattern = points.finish(
        file,
        Format::Npy,
        "at least one row",
        None,
        Metadata::default(),
    )?;
    Ok(vec![pattern])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OutputFormat, write};

    fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
        let total = (10 + dict.len() + 1).div_ceil(64) * 64;
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn columns_of_numpy_dtypes_read_as_a_pattern() {
        let p = Pattern::new(vec![10.0, 10.5, 11.0], vec![3.0, 4.5, 2.0]).unwrap();
        let mut bytes = Vec::new();
        write(std::slice::from_ref(&p), OutputFormat::Npy, &mut bytes).unwrap();
        assert_eq!(
            bytes.len() % 16,
            0,
            "header padded to 64 bytes, 6 values of 8"
        );
        let back = &crate::read_bytes(&bytes, Some("scan.npy")).unwrap()[0];
        assert_eq!(
            (back.two_theta(), back.intensity()),
            (p.two_theta(), p.intensity())
        );
        assert_eq!(back.meta().format, Some(Format::Npy));
        let f32s: Vec<u8> = [10.0f32, 1.0, 11.0, 2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let back = crate::read_bytes(
            &npy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                &f32s,
            ),
            None,
        )
        .unwrap();
        assert_eq!(back[0].intensity(), &[1.0, 2.0]);
    }

    #[test]
    fn bad_arrays_are_errors() {
        let eight = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let cases = [
            // One column, four columns.
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }",
                &eight(&[1.0, 2.0]),
            ),
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4), }",
                &eight(&[1.0; 4]),
            ),
            // A shape far beyond the data (must not allocate it), truncated data, no data.
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 2), }",
                &eight(&[1.0, 2.0]),
            ),
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                &eight(&[1.0; 3]),
            ),
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }",
                &[],
            ),
            // 2θ decreasing, NaN intensity, a text dtype, a broken header.
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                &eight(&[2.0, 1.0, 1.0, 1.0]),
            ),
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                &eight(&[1.0, f64::NAN, 2.0, 1.0]),
            ),
            npy(
                "{'descr': '<U3', 'fortran_order': False, 'shape': (1, 2), }",
                &[0; 24],
            ),
            b"\x93NUMPY\x01\x00\xff\xff{'descr'".to_vec(),
        ];
        // The variant each case gives, in order.
        let kinds = [
            "Syntax",
            "Syntax",
            "Truncated",
            "Truncated",
            "NoData",
            "NonMonotonic",
            "NonFinite",
            "Syntax",
            "Truncated",
        ];
        assert_eq!(cases.len(), kinds.len());
        for (k, (bytes, kind)) in cases.iter().zip(kinds).enumerate() {
            let e = crate::read_bytes(bytes, Some("bad.npy")).unwrap_err();
            let debug = format!("{e:?}");
            assert!(
                debug.starts_with(&format!("{kind} {{")),
                "case {k}: {debug}"
            );
            assert!(e.to_string().contains("bad.npy"), "case {k} names the file");
        }
    }
}
