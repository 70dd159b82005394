//! The 1024-byte Argon2 memory block and the scalar compression function G
//! (RFC 9106, section 3.5), written word by word as the RFC states it.

/// Number of 64-bit words in a block.
pub const WORDS: usize = 128;

/// One Argon2 memory block: 1024 bytes read as 128 little-endian 64-bit words. The alignment
/// lets the SIMD path load the words as 128-bit vectors.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub struct Block(pub [u64; WORDS]);

impl Block {
    /// The all-zero block.
    pub const ZERO: Block = Block([0; WORDS]);

    /// Reads a block from 1024 little-endian bytes.
    pub fn from_le_bytes(bytes: &[u8; 1024]) -> Block {
        let mut block = Block::ZERO;
        for (word, chunk) in block.0.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(chunk);
            *word = u64::from_le_bytes(le);
        }
        block
    }

    /// Writes the block as 1024 little-endian bytes.
    pub fn to_le_bytes(&self, bytes: &mut [u8; 1024]) {
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(self.0.iter()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
    }

    /// XORs `other` into this block.
    pub fn xor_with(&mut self, other: &Block) {
        for (word, x) in self.0.iter_mut().zip(other.0.iter()) {
            *word ^= x;
        }
    }
}

/// A compression function G(X, Y) with the Argon2 v1.3 update rule: `next` becomes
/// G(prev, reference), XORed with the old `next` when `xor_into` is set (every pass after the first).
pub trait Compress {
    /// Computes G(prev, reference) into `next`.
    fn compress(next: &mut Block, prev: &Block, reference: &Block, xor_into: bool);
}

/// The portable scalar compression function.
///
/// NOTE: with `simd128` enabled, LLVM auto-vectorises this code as well (the module contains
/// `i64x2.mul` for it), so in the .wasm the two paths differ in schedule more than in vector use.
pub struct Scalar;

impl Compress for Scalar {
    fn compress(next: &mut Block, prev: &Block, reference: &Block, xor_into: bool) {
        let mut r = *prev;
        r.xor_with(reference);
        let mut q = r;

        // P is applied to each row of eight 16-byte registers (words 16i .. 16i + 15) ...
        for i in 0..8 {
            let base = 16 * i;
            let mut v = [0u64; 16];
            v.copy_from_slice(&q.0[base..base + 16]);
            permute(&mut v);
            q.0[base..base + 16].copy_from_slice(&v);
        }
        // ... then to each column: register i of every row, words 2i and 2i + 1 of each.
        for i in 0..8 {
            let mut v = [0u64; 16];
            for k in 0..8 {
                v[2 * k] = q.0[2 * i + 16 * k];
                v[2 * k + 1] = q.0[2 * i + 16 * k + 1];
            }
            permute(&mut v);
            for k in 0..8 {
                q.0[2 * i + 16 * k] = v[2 * k];
                q.0[2 * i + 16 * k + 1] = v[2 * k + 1];
            }
        }

        if xor_into {
            r.xor_with(next);
        }
        r.xor_with(&q);
        *next = r;
    }
}

/// Permutation P (RFC 9106, section 3.6): BLAKE2b's round with the multiplication-hardened GB.
#[inline(always)]
fn permute(v: &mut [u64; 16]) {
    gb(v, 0, 4, 8, 12);
    gb(v, 1, 5, 9, 13);
    gb(v, 2, 6, 10, 14);
    gb(v, 3, 7, 11, 15);
    gb(v, 0, 5, 10, 15);
    gb(v, 1, 6, 11, 12);
    gb(v, 2, 7, 8, 13);
    gb(v, 3, 4, 9, 14);
}

/// GB (RFC 9106, section 3.6): a = a + b + 2 * trunc(a) * trunc(b), with trunc the low 32 bits.
#[inline(always)]
fn gb(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize) {
    v[a] = blamka(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = blamka(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = blamka(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = blamka(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[inline(always)]
fn blamka(x: u64, y: u64) -> u64 {
    let product = (x & 0xffff_ffff).wrapping_mul(y & 0xffff_ffff);
    x.wrapping_add(y).wrapping_add(product.wrapping_mul(2))
}
