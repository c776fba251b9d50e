//! Incremental roll-ups of stored reports per data unit and epoch.
