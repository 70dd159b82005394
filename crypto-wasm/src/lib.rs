//! provkit's WebAssembly crypto module: Argon2id (RFC 9106), SHA-256/384/512 (FIPS 180-4) and
//! HKDF-SHA-256 (RFC 5869) behind a plain `extern "C"` boundary.
//!
//! Every export takes pointers and lengths into the module's linear memory and returns 0 (or a
//! positive handle) on success and a negative [`Error`] code on failure. Parameters are checked
//! before any work and allocations use `try_reserve`, so bad input or an impossible memory size
//! returns a code instead of trapping. Buffers come from [`provkit_alloc`] and go back through
//! [`provkit_free`] with the same length.

#![deny(missing_docs)]

pub mod argon2;
pub mod blake2b;
pub mod block;
pub mod sha2;
pub mod simd;

use std::alloc::{alloc, dealloc, Layout};
use std::sync::Mutex;

/// Version of this C ABI; the TypeScript loader refuses a module with another value.
pub const ABI_VERSION: u32 = 1;

/// Failure codes returned (negated) by the exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Error {
    /// A pointer is null with a non-zero length, or the range lies outside linear memory.
    Pointer = -1,
    /// The output length is outside the function's range (Argon2: 4 to 2^32 - 1 bytes;
    /// SHA-2: exactly the digest length; HKDF-SHA-256: 1 to 8160 bytes).
    OutputLength = -2,
    /// The Argon2 salt is shorter than 8 bytes or longer than 2^32 - 1 bytes.
    SaltLength = -3,
    /// The Argon2 memory size is below 8 KiB per lane (RFC 9106: m >= 8p).
    MemorySize = -4,
    /// The Argon2 pass count (or the SHA-2 iteration count) is 0.
    Passes = -5,
    /// The Argon2 lane count is 0 or above 2^24 - 1.
    Lanes = -6,
    /// The module could not allocate the memory the call needs.
    OutOfMemory = -7,
    /// Unknown SHA-2 algorithm identifier (expected 256, 384 or 512).
    Algorithm = -8,
    /// Unknown, finished or discarded streaming handle.
    Handle = -9,
    /// Too many streaming hashes are open at once.
    HandleLimit = -10,
    /// An Argon2 input (password, secret, associated data) is longer than 2^32 - 1 bytes.
    InputLength = -11,
}

impl Error {
    /// Returns the code passed across the boundary.
    pub fn code(self) -> i32 {
        self as i32
    }
}

fn status(result: Result<(), Error>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(error) => error.code(),
    }
}

/// Size of linear memory in bytes, or no limit on native targets (tests).
fn memory_limit() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        u64::MAX
    }
}

fn check_range(ptr: *const u8, len: usize) -> Result<(), Error> {
    if len == 0 {
        return Ok(());
    }
    if ptr.is_null() || (ptr as usize as u64).saturating_add(len as u64) > memory_limit() {
        return Err(Error::Pointer);
    }
    Ok(())
}

/// Borrows `len` bytes at `ptr` after checking that they lie inside linear memory.
///
/// # Safety
/// The caller (JavaScript) guarantees that the range is not written during the call.
unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Error> {
    check_range(ptr, len)?;
    if len == 0 {
        return Ok(&[]);
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// Copies `value` to `ptr` with memmove semantics, so an output may overlap an input.
unsafe fn write_output(ptr: *mut u8, value: &[u8]) {
    if !value.is_empty() {
        std::ptr::copy(value.as_ptr(), ptr, value.len());
    }
}

fn zeroed(len: usize) -> Result<Vec<u8>, Error> {
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(len).map_err(|_| Error::OutOfMemory)?;
    buffer.resize(len, 0);
    Ok(buffer)
}

fn buffer_layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(len.max(1), 16).ok()
}

/// Returns the ABI version ([`ABI_VERSION`]).
#[no_mangle]
pub extern "C" fn provkit_abi_version() -> u32 {
    ABI_VERSION
}

/// Allocates `len` bytes (16-byte aligned) and returns their address, or 0 when memory is exhausted.
#[no_mangle]
pub extern "C" fn provkit_alloc(len: usize) -> *mut u8 {
    match buffer_layout(len) {
        // SAFETY: the layout has a non-zero size.
        Some(layout) => unsafe { alloc(layout) },
        None => std::ptr::null_mut(),
    }
}

/// Releases a buffer from [`provkit_alloc`]; `len` must be the length it was allocated with.
///
/// # Safety
/// `ptr` must come from `provkit_alloc(len)` and not have been freed yet. A null `ptr` is ignored.
#[no_mangle]
pub unsafe extern "C" fn provkit_free(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    if let Some(layout) = buffer_layout(len) {
        dealloc(ptr, layout);
    }
}

/// Argon2id (RFC 9106, version 0x13) of password P and salt S with optional secret K and
/// associated data X, writing `out_len` tag bytes to `out_ptr`. Uses the SIMD compression function.
/// Returns 0 or a negative [`Error`] code.
///
/// # Safety
/// Each pointer/length pair must describe a readable (or, for the output, writable) range.
#[no_mangle]
pub unsafe extern "C" fn provkit_argon2id(
    password_ptr: *const u8,
    password_len: usize,
    salt_ptr: *const u8,
    salt_len: usize,
    secret_ptr: *const u8,
    secret_len: usize,
    associated_data_ptr: *const u8,
    associated_data_len: usize,
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    out_ptr: *mut u8,
    out_len: usize,
) -> i32 {
    status(argon2id_call::<simd::Simd>(
        (password_ptr, password_len),
        (salt_ptr, salt_len),
        (secret_ptr, secret_len),
        (associated_data_ptr, associated_data_len),
        (memory_kib, passes, lanes),
        (out_ptr, out_len),
    ))
}

/// The same as [`provkit_argon2id`] with the scalar compression function; the test suite uses it
/// to check the SIMD path inside the WebAssembly engine.
///
/// # Safety
/// As for [`provkit_argon2id`].
#[no_mangle]
pub unsafe extern "C" fn provkit_argon2id_scalar(
    password_ptr: *const u8,
    password_len: usize,
    salt_ptr: *const u8,
    salt_len: usize,
    secret_ptr: *const u8,
    secret_len: usize,
    associated_data_ptr: *const u8,
    associated_data_len: usize,
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    out_ptr: *mut u8,
    out_len: usize,
) -> i32 {
    status(argon2id_call::<block::Scalar>(
        (password_ptr, password_len),
        (salt_ptr, salt_len),
        (secret_ptr, secret_len),
        (associated_data_ptr, associated_data_len),
        (memory_kib, passes, lanes),
        (out_ptr, out_len),
    ))
}

unsafe fn argon2id_call<C: block::Compress>(
    password: (*const u8, usize),
    salt: (*const u8, usize),
    secret: (*const u8, usize),
    associated_data: (*const u8, usize),
    (memory_kib, passes, lanes): (u32, u32, u32),
    (out_ptr, out_len): (*mut u8, usize),
) -> Result<(), Error> {
    check_range(out_ptr, out_len)?;
    let params = argon2::Params {
        password: input(password.0, password.1)?,
        salt: input(salt.0, salt.1)?,
        secret: input(secret.0, secret.1)?,
        associated_data: input(associated_data.0, associated_data.1)?,
        memory_kib,
        passes,
        lanes,
    };
    argon2::check(&params, out_len)?;
    let mut tag = zeroed(out_len)?;
    argon2::hash::<C>(&params, &mut tag)?;
    write_output(out_ptr, &tag);
    zeroize::Zeroize::zeroize(tag.as_mut_slice());
    Ok(())
}

/// One-shot SHA-2 digest of `data_len` bytes at `data_ptr` with `algorithm` 256, 384 or 512;
/// `out_len` must be the digest length (32, 48 or 64). Returns 0 or a negative [`Error`] code.
///
/// # Safety
/// The ranges must be readable and writable respectively.
#[no_mangle]
pub unsafe extern "C" fn provkit_sha2_digest(
    algorithm: u32,
    data_ptr: *const u8,
    data_len: usize,
    out_ptr: *mut u8,
    out_len: usize,
) -> i32 {
    status((|| {
        let mut state = sha2::State::new(algorithm)?;
        if out_len != state.output_len() {
            return Err(Error::OutputLength);
        }
        check_range(out_ptr, out_len)?;
        state.update(input(data_ptr, data_len)?);
        let mut digest = [0u8; 64];
        state.finish(&mut digest[..out_len]);
        write_output(out_ptr, &digest[..out_len]);
        Ok(())
    })())
}

/// Iterated SHA-2: writes H^iterations(data), the hash applied `iterations` times (at least 1),
/// as the PKCS#12 key derivation of RFC 7292, appendix B.2 needs for each block A_i.
/// `out_len` must be the digest length. Returns 0 or a negative [`Error`] code.
///
/// # Safety
/// The ranges must be readable and writable respectively.
#[no_mangle]
pub unsafe extern "C" fn provkit_sha2_iterate(
    algorithm: u32,
    data_ptr: *const u8,
    data_len: usize,
    iterations: u32,
    out_ptr: *mut u8,
    out_len: usize,
) -> i32 {
    status((|| {
        if out_len != sha2::output_len(algorithm)? {
            return Err(Error::OutputLength);
        }
        if iterations == 0 {
            return Err(Error::Passes);
        }
        check_range(out_ptr, out_len)?;
        let mut digest = [0u8; 64];
        let mut state = sha2::State::new(algorithm)?;
        state.update(input(data_ptr, data_len)?);
        state.finish(&mut digest[..out_len]);
        for _ in 1..iterations {
            let mut state = sha2::State::new(algorithm)?;
            state.update(&digest[..out_len]);
            state.finish(&mut digest[..out_len]);
        }
        write_output(out_ptr, &digest[..out_len]);
        Ok(())
    })())
}

static HANDLES: Mutex<sha2::Handles> = Mutex::new(sha2::Handles::new());

fn with_handles<T>(f: impl FnOnce(&mut sha2::Handles) -> Result<T, Error>) -> Result<T, Error> {
    // A panic cannot happen while the lock is held (panic = "abort"), so poisoning only
    // matters for native tests; the table is still consistent then.
    let mut guard = HANDLES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut guard)
}

/// Starts a streaming SHA-2 hash (`algorithm` 256, 384 or 512). Returns a handle (at least 1)
/// or a negative [`Error`] code.
#[no_mangle]
pub extern "C" fn provkit_sha2_init(algorithm: u32) -> i32 {
    match sha2::State::new(algorithm).and_then(|state| with_handles(|handles| handles.insert(state))) {
        Ok(handle) => handle as i32,
        Err(error) => error.code(),
    }
}

/// Absorbs `data_len` bytes into the streaming hash `handle`. Returns 0 or a negative [`Error`] code.
///
/// # Safety
/// The range must be readable.
#[no_mangle]
pub unsafe extern "C" fn provkit_sha2_update(handle: u32, data_ptr: *const u8, data_len: usize) -> i32 {
    status((|| {
        let data = input(data_ptr, data_len)?;
        with_handles(|handles| {
            handles.get_mut(handle)?.update(data);
            Ok(())
        })
    })())
}

/// Finishes the streaming hash `handle` into `out_ptr` (exactly the digest length) and releases
/// the handle. On an error code the handle stays open. Returns 0 or a negative [`Error`] code.
///
/// # Safety
/// The output range must be writable.
#[no_mangle]
pub unsafe extern "C" fn provkit_sha2_finish(handle: u32, out_ptr: *mut u8, out_len: usize) -> i32 {
    status((|| {
        let state = with_handles(|handles| {
            if handles.get_mut(handle)?.output_len() != out_len {
                return Err(Error::OutputLength);
            }
            check_range(out_ptr, out_len)?;
            handles.remove(handle)
        })?;
        let mut digest = [0u8; 64];
        state.finish(&mut digest[..out_len]);
        write_output(out_ptr, &digest[..out_len]);
        Ok(())
    })())
}

/// Releases the streaming hash `handle` without producing a digest. Returns 0 or a negative [`Error`] code.
#[no_mangle]
pub extern "C" fn provkit_sha2_discard(handle: u32) -> i32 {
    status(with_handles(|handles| handles.remove(handle).map(drop)))
}

/// HKDF-SHA-256 (RFC 5869): extract with `salt` (empty means HashLen zero bytes) from input
/// keying material `ikm`, then expand with `info` to `out_len` bytes (1 to 255 * 32).
/// Returns 0 or a negative [`Error`] code.
///
/// # Safety
/// The ranges must be readable and writable respectively.
#[no_mangle]
pub unsafe extern "C" fn provkit_hkdf_sha256(
    ikm_ptr: *const u8,
    ikm_len: usize,
    salt_ptr: *const u8,
    salt_len: usize,
    info_ptr: *const u8,
    info_len: usize,
    out_ptr: *mut u8,
    out_len: usize,
) -> i32 {
    status((|| {
        if out_len == 0 || out_len > 255 * 32 {
            return Err(Error::OutputLength);
        }
        check_range(out_ptr, out_len)?;
        let ikm = input(ikm_ptr, ikm_len)?;
        let salt = input(salt_ptr, salt_len)?;
        let info = input(info_ptr, info_len)?;
        let mut okm = zeroed(out_len)?;
        hkdf::Hkdf::<::sha2::Sha256>::new(Some(salt), ikm)
            .expand(info, &mut okm)
            .map_err(|_| Error::OutputLength)?;
        write_output(out_ptr, &okm);
        zeroize::Zeroize::zeroize(okm.as_mut_slice());
        Ok(())
    })())
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// Lowercase hex of `bytes`.
    pub fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
