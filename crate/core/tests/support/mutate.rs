//! Shared by the fuzz targets of crate/core and crate/cli (each includes this file with `#[path]`):
//! the time budget of a target and byte-string mutations for seeds.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;

pub fn budget() -> Duration {
    let s = std::env::var("INBETWEEN_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20.0);
    Duration::from_secs_f64(s)
}

/// True once this target has used its time; later cases return at once.
pub fn spent(start: &OnceLock<Instant>) -> bool {
    start.get_or_init(Instant::now).elapsed() > budget()
}

/// One mutation of a byte string.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Set {
        at: usize,
        value: u8,
    },
    Truncate {
        keep: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    /// A 32-bit big-endian number written at `at` (sizes in PNG and JPEG headers).
    Number {
        at: usize,
        value: u32,
    },
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Set { at, value }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(8192),
                Just(8193),
                Just(65535),
                Just(u32::MAX),
                any::<u32>()
            ]
        )
            .prop_map(|(at, value)| Mutation::Number { at, value }),
    ]
}

pub fn apply(mut bytes: Vec<u8>, mutations: &[Mutation], header: usize) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        // Most interesting structure is near the start: aim there half the time.
        let pick = |at: usize, len: usize| {
            if at.is_multiple_of(2) {
                (at / 2) % len.min(header).max(1)
            } else {
                (at / 2) % len
            }
        };
        match m {
            Mutation::Flip { at, mask } => {
                let i = pick(*at, bytes.len());
                bytes[i] ^= mask;
            }
            Mutation::Set { at, value } => {
                let i = pick(*at, bytes.len());
                bytes[i] = *value;
            }
            Mutation::Truncate { keep } => bytes.truncate(keep % bytes.len()),
            Mutation::Insert { at, bytes: extra } => {
                let i = pick(*at, bytes.len());
                bytes.splice(i..i, extra.iter().copied());
            }
            Mutation::Number { at, value } => {
                if bytes.len() >= 4 {
                    let i = pick(*at, bytes.len() - 3);
                    bytes[i..i + 4].copy_from_slice(&value.to_be_bytes());
                }
            }
        }
    }
    bytes
}
