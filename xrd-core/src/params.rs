//! The workspace's one convention for hyper-parameters and learned models, in the spirit of
//! linfa's `ParamGuard` and `Fit`: parameters are validated once, and the fit paths take the
//! validated form, so validity is visible in the types.
//!
//! - [`ParamGuard`] is implemented by every parameter type (`XParams`, and the serialisable
//!   `XConfig` stored in model files). [`ParamGuard::check_ref`] validates without consuming;
//!   [`ParamGuard::into_checked`] validates and returns a [`Checked`], which only this module can
//!   build.
//! - [`Fit`] (deterministic fits) and [`FitWith`] (fits that draw from a random number generator
//!   and report progress) are implemented by the parameter types, each with one method that does
//!   the work on checked parameters ([`Fit::fit_checked`], [`FitWith::fit_with_checked`]).
//!   [`Checked::fit`] and [`Checked::fit_with`] run it without validating again; the provided
//!   [`Fit::fit`] and [`FitWith::fit_with`] validate once and run it — the part linfa's blanket
//!   `impl<P: ParamGuard> Fit for P where P::Checked: Fit` plays, written once here for every
//!   parameter type.
//! - [`Predict`] is implemented by the learned models.
//!
//! The crates also keep inherent `check`, `fit` and `predict` methods (usable without importing
//! these traits); each inherent `fit` is [`Fit::fit`] or [`FitWith::fit_with`], so a fit has one
//! implementation whichever way it is called.
//!
//! ```
//! use xrd_core::params::{Checked, Fit, ParamGuard};
//!
//! /// Fits the mean of the values, scaled.
//! #[derive(Debug, Clone, Default)]
//! struct ScaleParams {
//!     scale: f64,
//! }
//!
//! impl ParamGuard for ScaleParams {
//!     type Error = String;
//!     fn check_ref(&self) -> Result<(), String> {
//!         if self.scale.is_finite() && self.scale > 0.0 {
//!             Ok(())
//!         } else {
//!             Err(format!("scale must be finite and > 0, got {}", self.scale))
//!         }
//!     }
//! }
//!
//! impl Fit<&[f64]> for ScaleParams {
//!     type Object = f64;
//!     fn fit_checked(params: &Checked<Self>, data: &[f64]) -> Result<f64, String> {
//!         // No second validation: `params` is checked.
//!         Ok(params.scale * data.iter().sum::<f64>() / data.len() as f64)
//!     }
//! }
//!
//! assert_eq!(
//!     ScaleParams::default().into_checked().err().as_deref(),
//!     Some("scale must be finite and > 0, got 0")
//! );
//! let p = ScaleParams { scale: 2.0 }.into_checked()?;
//! assert_eq!(p.fit(&[1.0, 2.0, 3.0][..])?, 4.0);
//! // Unchecked parameters: validated once, then the same `fit_checked`.
//! assert_eq!(ScaleParams { scale: 2.0 }.fit(&[1.0, 2.0, 3.0][..])?, 4.0);
//! assert_eq!(
//!     ScaleParams::default().fit(&[1.0][..]).err().as_deref(),
//!     Some("scale must be finite and > 0, got 0")
//! );
//! # Ok::<(), String>(())
//! ```

use std::ops::Deref;

/// Parameters that can be validated once, then used as a [`Checked`] proof of their validity.
///
/// Every parameter type of the workspace implements it; `check_ref` is the type's inherent
/// `check` (which stays for use without importing this trait).
pub trait ParamGuard: Sized {
    /// The crate's error type (its `InvalidParameter` variant names the offending parameter).
    type Error;

    /// Validates every parameter.
    ///
    /// # Errors
    /// The crate's `InvalidParameter` (or a wrapped crate's) for the first invalid value.
    fn check_ref(&self) -> Result<(), Self::Error>;

    /// Validates and wraps the parameters as [`Checked`].
    ///
    /// # Errors
    /// As [`ParamGuard::check_ref`].
    fn into_checked(self) -> Result<Checked<Self>, Self::Error> {
        self.check_ref()?;
        Ok(Checked(self))
    }
}

/// Implements [`ParamGuard`] for parameter types whose inherent `check(&self) -> Result<(), E>`
/// is the validation — the form every parameter type of the workspace has, so each implements
/// the trait in one line. Generic types put their parameters in brackets first.
///
/// ```
/// #[derive(Debug)]
/// struct Window(usize);
///
/// impl Window {
///     fn check(&self) -> Result<(), String> {
///         if self.0 > 0 { Ok(()) } else { Err("window must be > 0".into()) }
///     }
/// }
///
/// struct Scaled<T>(T);
///
/// impl<T: Copy + Into<f64>> Scaled<T> {
///     fn check(&self) -> Result<(), String> {
///         if self.0.into().is_finite() { Ok(()) } else { Err("scale must be finite".into()) }
///     }
/// }
///
/// xrd_core::param_guard!(String => Window);
/// xrd_core::param_guard!(String => [T: Copy + Into<f64>] Scaled<T>);
///
/// use xrd_core::ParamGuard;
/// assert_eq!(Window(0).into_checked().err().as_deref(), Some("window must be > 0"));
/// assert_eq!(Window(3).into_checked().map(|w| w.0), Ok(3));
/// assert_eq!(Scaled(f64::NAN).into_checked().err().as_deref(), Some("scale must be finite"));
/// ```
#[macro_export]
macro_rules! param_guard {
    ($error:ty => [$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> $crate::params::ParamGuard for $ty {
            type Error = $error;

            fn check_ref(&self) -> ::core::result::Result<(), $error> {
                self.check()
            }
        }
    };
    ($error:ty => $ty:ty) => {
        $crate::param_guard!($error => [] $ty);
    };
}

/// Parameters that passed [`ParamGuard::check_ref`]; read them through `Deref`. Built only by
/// [`ParamGuard::into_checked`], so a `&Checked<P>` is a proof that `P` is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<P>(P);

impl<P> Checked<P> {
    /// The parameters, unwrapped (e.g. to change them and check again).
    pub fn into_inner(self) -> P {
        self.0
    }

    /// Fits a model to `data` ([`Fit`]), without validating the parameters again.
    ///
    /// # Errors
    /// The fit's errors (shapes, non-finite inputs, too few samples, …).
    pub fn fit<D>(&self, data: D) -> Result<P::Object, P::Error>
    where
        P: Fit<D>,
    {
        P::fit_checked(self, data)
    }

    /// Fits a model to `data` drawing from `rng` and reporting to `progress` ([`FitWith`]),
    /// without validating the parameters again.
    ///
    /// # Errors
    /// The fit's errors (shapes, non-finite inputs, too few samples, divergence, …).
    pub fn fit_with<D, R: ?Sized>(
        &self,
        data: D,
        rng: &mut R,
        mut progress: impl FnMut(&P::Progress),
    ) -> Result<P::Object, P::Error>
    where
        P: FitWith<D, R>,
    {
        P::fit_with_checked(self, data, rng, &mut progress)
    }
}

impl<P> Deref for Checked<P> {
    type Target = P;

    fn deref(&self) -> &P {
        &self.0
    }
}

impl<P> AsRef<P> for Checked<P> {
    fn as_ref(&self) -> &P {
        &self.0
    }
}

/// A deterministic fit: the same checked parameters and data always give the same model.
pub trait Fit<D>: ParamGuard {
    /// The fitted model.
    type Object;

    /// Fits a model to `data`: the one implementation of the fit, called through [`Checked::fit`]
    /// and [`Fit::fit`].
    ///
    /// # Errors
    /// The fit's errors (shapes, non-finite inputs, too few samples, …).
    fn fit_checked(params: &Checked<Self>, data: D) -> Result<Self::Object, Self::Error>;

    /// Validates the parameters once and fits ([`Fit::fit_checked`] on a checked copy): what the
    /// parameter types' inherent `fit` calls.
    ///
    /// # Errors
    /// As [`ParamGuard::check_ref`], then as [`Fit::fit_checked`].
    fn fit(&self, data: D) -> Result<Self::Object, Self::Error>
    where
        Self: Clone,
    {
        Self::fit_checked(&self.clone().into_checked()?, data)
    }
}

/// A fit that draws from a random number generator `R` (initialisation, shuffling, dropout) and
/// reports its progress: the same checked parameters, data and seed give bit-identical models.
pub trait FitWith<D, R: ?Sized>: ParamGuard {
    /// The fitted model.
    type Object;
    /// What is reported after each step (e.g. an epoch's losses).
    type Progress;

    /// Fits a model to `data`: the one implementation of the fit, called through
    /// [`Checked::fit_with`] and [`FitWith::fit_with`].
    ///
    /// # Errors
    /// The fit's errors (shapes, non-finite inputs, too few samples, divergence, …).
    fn fit_with_checked(
        params: &Checked<Self>,
        data: D,
        rng: &mut R,
        progress: &mut dyn FnMut(&Self::Progress),
    ) -> Result<Self::Object, Self::Error>;

    /// Validates the parameters once and fits ([`FitWith::fit_with_checked`] on a checked copy):
    /// what the parameter types' inherent `fit` calls.
    ///
    /// # Errors
    /// As [`ParamGuard::check_ref`], then as [`FitWith::fit_with_checked`].
    fn fit_with(
        &self,
        data: D,
        rng: &mut R,
        mut progress: impl FnMut(&Self::Progress),
    ) -> Result<Self::Object, Self::Error>
    where
        Self: Clone,
    {
        Self::fit_with_checked(&self.clone().into_checked()?, data, rng, &mut progress)
    }
}

/// A fitted model's inference: input `I` to output `O`.
pub trait Predict<I, O> {
    /// The crate's error type.
    type Error;

    /// Predicts for `input`.
    ///
    /// # Errors
    /// Inputs of the wrong shape, non-finite inputs, ….
    fn predict(&self, input: I) -> Result<O, Self::Error>;
}

/// Writes the builder setter and the getter of each plain field of a parameter type, inside its
/// `impl` block: for `name, get_name: T;` the setter `pub fn name(mut self, value: T) -> Self`
/// (which assigns the field `name`) and the getter `pub fn get_name(&self) -> T` (which returns
/// it, so `T` is `Copy`). Doc comments and attributes written before an entry go to the setter,
/// which is where each default is stated; the getter's documentation points to the setter.
/// A setter that does more than assign is written by hand beside the macro.
///
/// ```
/// /// Smoothing of a scan.
/// #[derive(Debug, Clone, PartialEq)]
/// pub struct SmoothParams {
///     window: usize,
///     strength: f64,
/// }
///
/// impl SmoothParams {
///     xrd_core::setters! {
///         /// Half-width of the window in points (default 3).
///         window, get_window: usize;
///
///         /// Weight of the smoothed value, in `[0, 1]` (default 0.5).
///         strength, get_strength: f64;
///     }
/// }
///
/// let p = SmoothParams { window: 3, strength: 0.5 }.window(5).strength(0.25);
/// assert_eq!((p.get_window(), p.get_strength()), (5, 0.25));
/// ```
#[macro_export]
macro_rules! setters {
    ($($(#[$attr:meta])* $name:ident, $getter:ident: $ty:ty;)*) => {
        $(
            $(#[$attr])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = value;
                self
            }

            #[doc = concat!(
                "The `", stringify!($name), "` set by [`", stringify!($name), "`](Self::",
                stringify!($name), ") (see there for the default)."
            )]
            pub fn $getter(&self) -> $ty {
                self.$name
            }
        )*
    };
}
