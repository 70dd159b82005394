//! BLAKE2b (RFC 7693), unkeyed, with a variable digest length of 1 to 64 bytes. Argon2 uses it
//! as its hash H and, through [`hash_long`], as the variable-length hash H'.

use zeroize::Zeroize;

/// BLAKE2b initialisation vector (RFC 7693, section 2.6): the SHA-512 IV.
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// Message word schedule SIGMA (RFC 7693, section 2.7); rounds 10 and 11 reuse rows 0 and 1.
const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

const BLOCK_BYTES: usize = 128;

/// Incremental BLAKE2b state for one digest length.
pub struct Blake2b {
    h: [u64; 8],
    /// Bytes compressed so far (the counter t of RFC 7693, 128 bits).
    counter: u128,
    buffer: [u8; BLOCK_BYTES],
    buffered: usize,
    digest_len: usize,
}

impl Blake2b {
    /// Starts an unkeyed hash with a digest of `digest_len` bytes, clamped to 1..=64 by the caller.
    pub fn new(digest_len: usize) -> Self {
        let mut h = IV;
        // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
        h[0] ^= 0x0101_0000 ^ digest_len as u64;
        Blake2b { h, counter: 0, buffer: [0; BLOCK_BYTES], buffered: 0, digest_len }
    }

    /// Absorbs `data`. The last block is kept back until [`Blake2b::finalize`] because it is
    /// compressed with the final flag set.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.buffered == BLOCK_BYTES {
                self.counter += BLOCK_BYTES as u128;
                let block = self.buffer;
                self.compress(&block, false);
                self.buffered = 0;
            }
            let take = (BLOCK_BYTES - self.buffered).min(data.len());
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
        }
    }

    /// Writes the digest into `out`, whose length must be the digest length given to `new`.
    pub fn finalize(mut self, out: &mut [u8]) {
        self.counter += self.buffered as u128;
        for byte in &mut self.buffer[self.buffered..] {
            *byte = 0;
        }
        let block = self.buffer;
        self.compress(&block, true);
        let mut bytes = [0u8; 64];
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(self.h.iter()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        let len = self.digest_len.min(out.len());
        out[..len].copy_from_slice(&bytes[..len]);
        bytes.zeroize();
    }

    /// Compression function F (RFC 7693, section 3.2).
    fn compress(&mut self, block: &[u8; BLOCK_BYTES], last: bool) {
        let mut m = [0u64; 16];
        for (word, chunk) in m.iter_mut().zip(block.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(chunk);
            *word = u64::from_le_bytes(le);
        }
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(&self.h);
        v[8..].copy_from_slice(&IV);
        v[12] ^= self.counter as u64;
        v[13] ^= (self.counter >> 64) as u64;
        if last {
            v[14] = !v[14];
        }
        for s in SIGMA.iter() {
            mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            self.h[i] ^= v[i] ^ v[i + 8];
        }
        m.zeroize();
        v.zeroize();
    }
}

impl Drop for Blake2b {
    fn drop(&mut self) {
        self.h.zeroize();
        self.buffer.zeroize();
    }
}

/// Mixing function G (RFC 7693, section 3.1).
#[inline(always)]
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

/// Variable-length hash H' (RFC 9106, section 3.3) of the concatenation of `parts`, filling all
/// of `out`. `out` may be any length from 1 to 2^32 - 1 bytes.
pub fn hash_long(parts: &[&[u8]], out: &mut [u8]) {
    let tag_len = (out.len() as u32).to_le_bytes();
    if out.len() <= 64 {
        let mut hasher = Blake2b::new(out.len());
        hasher.update(&tag_len);
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize(out);
        return;
    }

    // r = ceil(T / 32) - 2 full 64-byte hashes contribute their first 32 bytes each; the last
    // hash V_{r+1} has T - 32r bytes.
    let r = (out.len() + 31) / 32 - 2;
    let mut v = [0u8; 64];
    let mut hasher = Blake2b::new(64);
    hasher.update(&tag_len);
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize(&mut v);
    out[..32].copy_from_slice(&v[..32]);
    for i in 1..r {
        let mut hasher = Blake2b::new(64);
        hasher.update(&v);
        hasher.finalize(&mut v);
        out[i * 32..i * 32 + 32].copy_from_slice(&v[..32]);
    }
    let last_len = out.len() - 32 * r;
    let mut hasher = Blake2b::new(last_len);
    hasher.update(&v);
    hasher.finalize(&mut out[32 * r..]);
    v.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7693, appendix A: BLAKE2b-512("abc").
    #[test]
    fn blake2b_512_abc_matches_rfc7693_appendix_a() {
        let mut hasher = Blake2b::new(64);
        hasher.update(b"abc");
        let mut out = [0u8; 64];
        hasher.finalize(&mut out);
        let expected = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                        7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";
        assert_eq!(crate::tests_support::hex(&out), expected);
    }

    #[test]
    fn blake2b_update_split_matches_one_shot() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut one = Blake2b::new(64);
        one.update(&data);
        let mut expected = [0u8; 64];
        one.finalize(&mut expected);
        for split in [0usize, 1, 127, 128, 129, 256, 999, 1000] {
            let mut hasher = Blake2b::new(64);
            hasher.update(&data[..split]);
            hasher.update(&data[split..]);
            let mut out = [0u8; 64];
            hasher.finalize(&mut out);
            assert_eq!(out, expected, "split at {split}");
        }
    }
}
