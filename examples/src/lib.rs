//! Shared helpers of the xrd end-to-end examples.
