//! SHA-256, SHA-384 and SHA-512 (FIPS 180-4) through the RustCrypto `sha2` crate, one-shot and
//! streaming. Streaming states live in a handle table so that JavaScript holds small integers
//! rather than pointers, and a stale or forged handle returns an error instead of corrupting memory.

use crate::Error;
use sha2::digest::Digest;
use sha2::{Sha256, Sha384, Sha512};

/// Algorithm identifiers at the C boundary.
pub const SHA256: u32 = 256;
/// SHA-384.
pub const SHA384: u32 = 384;
/// SHA-512.
pub const SHA512: u32 = 512;

/// Upper bound on simultaneously open streaming states; each one is about 200 bytes.
pub const MAX_HANDLES: usize = 1024;

/// One streaming hash state.
pub enum State {
    /// SHA-256 in progress.
    Sha256(Sha256),
    /// SHA-384 in progress.
    Sha384(Sha384),
    /// SHA-512 in progress.
    Sha512(Sha512),
}

impl State {
    /// Starts a state for `algorithm` (256, 384 or 512).
    pub fn new(algorithm: u32) -> Result<State, Error> {
        match algorithm {
            SHA256 => Ok(State::Sha256(Sha256::new())),
            SHA384 => Ok(State::Sha384(Sha384::new())),
            SHA512 => Ok(State::Sha512(Sha512::new())),
            _ => Err(Error::Algorithm),
        }
    }

    /// Digest length in bytes.
    pub fn output_len(&self) -> usize {
        match self {
            State::Sha256(_) => 32,
            State::Sha384(_) => 48,
            State::Sha512(_) => 64,
        }
    }

    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            State::Sha256(state) => state.update(data),
            State::Sha384(state) => state.update(data),
            State::Sha512(state) => state.update(data),
        }
    }

    /// Finishes the hash into `out`, which must be exactly [`State::output_len`] bytes.
    pub fn finish(self, out: &mut [u8]) {
        match self {
            State::Sha256(state) => out.copy_from_slice(&state.finalize()),
            State::Sha384(state) => out.copy_from_slice(&state.finalize()),
            State::Sha512(state) => out.copy_from_slice(&state.finalize()),
        }
    }
}

/// Digest length of `algorithm`, or an error for an unknown identifier.
pub fn output_len(algorithm: u32) -> Result<usize, Error> {
    match algorithm {
        SHA256 => Ok(32),
        SHA384 => Ok(48),
        SHA512 => Ok(64),
        _ => Err(Error::Algorithm),
    }
}

/// Table of open streaming states; handle h refers to slot h - 1.
#[derive(Default)]
pub struct Handles {
    slots: Vec<Option<State>>,
}

impl Handles {
    /// An empty table.
    pub const fn new() -> Handles {
        Handles { slots: Vec::new() }
    }

    /// Stores `state` and returns its handle (at least 1).
    pub fn insert(&mut self, state: State) -> Result<u32, Error> {
        if let Some(index) = self.slots.iter().position(Option::is_none) {
            self.slots[index] = Some(state);
            return Ok(index as u32 + 1);
        }
        if self.slots.len() >= MAX_HANDLES {
            return Err(Error::HandleLimit);
        }
        self.slots.try_reserve(1).map_err(|_| Error::OutOfMemory)?;
        self.slots.push(Some(state));
        Ok(self.slots.len() as u32)
    }

    /// The state behind `handle`.
    pub fn get_mut(&mut self, handle: u32) -> Result<&mut State, Error> {
        let index = (handle as usize).checked_sub(1).ok_or(Error::Handle)?;
        self.slots.get_mut(index).and_then(Option::as_mut).ok_or(Error::Handle)
    }

    /// Removes and returns the state behind `handle`.
    pub fn remove(&mut self, handle: u32) -> Result<State, Error> {
        let index = (handle as usize).checked_sub(1).ok_or(Error::Handle)?;
        self.slots.get_mut(index).and_then(Option::take).ok_or(Error::Handle)
    }
}
