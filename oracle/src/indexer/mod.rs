//! Follows the contract's events and mirrors its state into the database.
