//! The classification job (`xrd classify predict`, `xrd.classify`): crystal system and space
//! group of measured patterns by a trained model, the indexing and the mineral library.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xrd_classify::{Classifier, LibrarySearch, LibraryWeighting, Prediction, TRAINING_WAVELENGTH};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Library, ReferenceParams, ReferenceSet, SearchParams};

use crate::Result;
use crate::error::existing;

/// The folder of the library's cached reference patterns when none is given.
pub const DEFAULT_CACHE: &str = "target/xrd-cache";

/// The options of a classification ([`Classify`]), as `xrd classify predict`'s flags,
/// `xrd.classify`'s keywords and a JSON request take them.
///
/// ```
/// let o: xrd_jobs::ClassifyOptions = serde_json::from_str(r#"{"library": false}"#).unwrap();
/// assert!(o.indexing && !o.library);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassifyOptions {
    /// A model written by `xrd classify train` (default: the shipped model).
    pub model: Option<PathBuf>,
    /// Index the lines (default true).
    pub indexing: bool,
    /// Search the built-in mineral library (default true).
    pub library: bool,
    /// Folder of the library's cached reference patterns (default [`DEFAULT_CACHE`]).
    pub cache: Option<PathBuf>,
    /// Library phases made of these elements only.
    pub elements: Option<Vec<String>>,
    /// Library phases that contain all of these elements.
    pub require: Vec<String>,
    /// Best library score at which the library and the other evidence weigh equally.
    pub library_midpoint: f64,
    /// Score difference over which the library's weight rises from 0.27 to 0.73.
    pub library_width: f64,
    /// Score difference over which a library candidate's vote falls by e.
    pub library_temperature: f64,
    /// Figure of merit from which an indexed cell fixes the crystal system.
    pub decisive_merit: f64,
    /// Certainty below which an answer with the library is refused.
    pub library_threshold: f64,
    /// The wavelength of patterns whose file gives none (default Cu Kα).
    pub wavelength: Option<Wavelength>,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        ClassifyOptions {
            model: None,
            indexing: true,
            library: true,
            cache: None,
            elements: None,
            require: Vec::new(),
            library_midpoint: xrd_classify::DEFAULT_MIDPOINT,
            library_width: xrd_classify::DEFAULT_WIDTH,
            library_temperature: xrd_classify::DEFAULT_TEMPERATURE,
            decisive_merit: xrd_classify::DEFAULT_DECISIVE_MERIT,
            library_threshold: xrd_classify::DEFAULT_LIBRARY_THRESHOLD,
            wavelength: None,
        }
    }
}

/// A classification job: the model loaded with its indexing and library stages.
#[derive(Debug)]
pub struct Classify {
    options: ClassifyOptions,
    name: String,
    classifier: Classifier,
}

/// What a classification of one pattern returns.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Classified {
    /// The pattern's label.
    pub file: String,
    /// The crystal system's name.
    pub crystal_system: String,
    /// The space group.
    pub space_group: u8,
    /// Its certainty.
    pub certainty: f64,
    /// The five likeliest space groups, best first.
    pub top5: Vec<u8>,
    /// Whether the answer is refused (certainty below the threshold).
    pub refused: bool,
    /// What decided: `library`, `indexing` or `networks`.
    pub decided_by: String,
    /// The best library phase, `name (space group)`.
    pub phase: Option<String>,
    /// Its score.
    pub phase_score: Option<f64>,
    /// Warnings about the input (wavelength conversion, padding).
    pub warnings: Vec<String>,
    /// Everything the model said.
    pub prediction: Prediction,
}

impl Classified {
    fn of(file: &str, p: Prediction) -> Self {
        Classified {
            file: file.to_string(),
            crystal_system: p.crystal_system.name().to_string(),
            space_group: p.space_group,
            certainty: p.certainty,
            top5: p.top_space_groups().into_iter().take(5).collect(),
            refused: p.refused,
            decided_by: p.decided_by.name().to_string(),
            phase: p
                .phase
                .as_ref()
                .map(|m| format!("{} ({})", m.name, m.space_group)),
            phase_score: p.phase.as_ref().map(|m| m.score),
            warnings: p.warnings.iter().map(ToString::to_string).collect(),
            prediction: p,
        }
    }
}

impl Classify {
    /// The job of `options`: the model read, the built-in library read and its references
    /// simulated (or read from the cache) unless `library` is off.
    ///
    /// # Errors
    /// A missing model file ([`crate::Error::FileNotFound`]); the model's or the library's
    /// errors; an option out of range.
    pub fn new(options: ClassifyOptions) -> Result<Self> {
        Self::with_library(options, None)
    }

    /// As [`Classify::new`], with `library` as the built-in library when given (a front end
    /// that keeps it across calls).
    ///
    /// # Errors
    /// As [`Classify::new`].
    pub fn with_library(options: ClassifyOptions, library: Option<&Library>) -> Result<Self> {
        let (name, mut classifier) = match &options.model {
            Some(path) => {
                existing(path)?;
                (path.display().to_string(), Classifier::load(path)?)
            }
            None => ("shipped".to_string(), Classifier::shipped()?),
        };
        if !options.indexing {
            classifier = classifier.with_indexing(None)?;
        }
        if options.library {
            let library = match library {
                Some(l) => l.clone(),
                None => Library::amcsd()?,
            };
            let params = ReferenceParams::new().wavelength(TRAINING_WAVELENGTH);
            let cache = options
                .cache
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE));
            let references = ReferenceSet::cached(&library, &params, &cache, |_, _| {})?;
            let search = SearchParams::new()
                .elements(options.elements.clone())
                .required(options.require.clone());
            let weighting = LibraryWeighting {
                temperature: options.library_temperature,
                midpoint: options.library_midpoint,
                width: options.library_width,
                decisive_merit: options.decisive_merit,
            };
            let stage = LibrarySearch::new(library, search)?
                .with_references(references)?
                .weighting(weighting)?
                .threshold(options.library_threshold)?;
            classifier = classifier.with_library(Some(stage));
        }
        Ok(Classify {
            options,
            name,
            classifier,
        })
    }

    /// The model's name: its file, or `shipped`.
    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// The classifier with its stages (for an evaluation).
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Classifies the patterns `named` (label, pattern) together (the library search and the
    /// indexing work on all at once), each read at its file's wavelength, else the option's;
    /// a pattern that cannot be classified keeps its own error.
    pub fn run(&self, named: &[(String, Pattern)]) -> Vec<Result<Classified>> {
        let all: Vec<Pattern> = named
            .iter()
            .map(|(_, p)| match (p.wavelength(), self.options.wavelength) {
                (None, Some(w)) => p.clone().with_wavelength(Some(w)),
                _ => p.clone(),
            })
            .collect();
        let predictions: Vec<Result<Prediction>> = match self.classifier.predict_patterns(&all) {
            Ok(p) => p.into_iter().map(Ok).collect(),
            // One pattern that cannot be put on the grid: each on its own, to name it.
            Err(_) => all
                .iter()
                .map(|p| Ok(self.classifier.predict_pattern(p)?))
                .collect(),
        };
        named
            .iter()
            .zip(predictions)
            .map(|((label, _), p)| p.map(|p| Classified::of(label, p)))
            .collect()
    }
}
