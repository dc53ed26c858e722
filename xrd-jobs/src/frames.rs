//! The frames of a series (`xrd refine --sequential`, `xrd.refine_series`) from the files read,
//! and the name of the value that orders them.

use std::fmt::Display;

use xrd_io::{Pattern, Wavelength};
use xrd_refine::Frame;

/// The header key of a frame's temperature (K), which orders a series when nothing else does.
const TEMPERATURE: &str = "temperature_k";

/// The frame `name` of a series from what reading its file gave: the file's first pattern at
/// the wavelength `wavelength` gives it, ordered by `order`, else by the temperature its header
/// gives; a file that could not be read, or holds no pattern, is a frame reported as failed
/// (the series goes on).
pub fn series_frame<E: Display>(
    name: String,
    read: Result<Vec<Pattern>, E>,
    order: Option<f64>,
    wavelength: impl FnOnce(&Pattern) -> Wavelength,
) -> Frame {
    match read {
        Ok(mut patterns) if !patterns.is_empty() => {
            let pattern = patterns.swap_remove(0);
            let w = wavelength(&pattern);
            let header = pattern
                .meta()
                .get(TEMPERATURE)
                .and_then(|t| t.trim().parse::<f64>().ok());
            Frame::new(name, pattern, w).with_order(order.or(header))
        }
        Ok(_) => Frame::unreadable(name, "no pattern in the file").with_order(order),
        Err(e) => Frame::unreadable(name, e.to_string()).with_order(order),
    }
}

/// The name of a series' order value: `given` (an order file's column), else
/// `temperature_k` when every frame read has a temperature in its header, else `order`.
pub fn order_name(given: Option<&str>, frames: &[Frame]) -> String {
    if let Some(name) = given {
        return name.to_string();
    }
    let temperatures = frames
        .iter()
        .filter_map(|f| f.data().ok())
        .all(|(p, _)| p.meta().get(TEMPERATURE).is_some());
    if temperatures { TEMPERATURE } else { "order" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(temperature: Option<&str>) -> Pattern {
        let p = Pattern::new(vec![10.0, 20.0, 30.0], vec![1.0, 2.0, 1.0])
            .unwrap_or_else(|e| panic!("{e}"));
        match temperature {
            Some(t) => {
                let mut meta = p.meta().clone();
                meta.extra.push((TEMPERATURE.to_string(), t.to_string()));
                p.with_meta(meta)
            }
            None => p,
        }
    }

    #[test]
    fn frames_take_the_header_temperature_unless_ordered() {
        let cu = |_: &Pattern| Wavelength::CU_KA;
        let read = |t| Ok::<_, String>(vec![pattern(t)]);
        let warm = series_frame("a".into(), read(Some("300.5")), None, cu);
        assert_eq!(warm.order(), Some(300.5));
        let given = series_frame("b".into(), read(Some("300.5")), Some(2.0), cu);
        assert_eq!(given.order(), Some(2.0));
        let failed = series_frame("c".into(), Err::<Vec<Pattern>, _>("gone"), Some(3.0), cu);
        assert!(failed.data().is_err());
        assert_eq!(
            order_name(None, std::slice::from_ref(&warm)),
            "temperature_k"
        );
        // A failed frame does not count; one without a temperature does.
        assert_eq!(order_name(None, &[warm.clone(), failed]), "temperature_k");
        let plain = series_frame("d".into(), read(None), None, cu);
        assert_eq!(order_name(None, &[warm, plain]), "order");
        assert_eq!(order_name(Some("time_s"), &[]), "time_s");
    }
}
