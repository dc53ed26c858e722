//! Shared fixtures for the criterion benches of the xrd workspace.
