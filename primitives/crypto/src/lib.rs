//! Torus cryptographic core (being written).
#![cfg_attr(not(feature = "std"), no_std)]
