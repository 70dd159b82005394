//! The Argon2 compression function G on 128-bit vectors of two 64-bit lanes. On wasm32 with
//! `simd128` each vector is a `v128`. Elsewhere a portable two-word emulation runs the same
//! code, so native tests can check this schedule against the scalar [`crate::block::Scalar`].
//!
//! A row of the 8x8 matrix of 16-byte registers is eight vectors. The BLAKE2b round works on
//! four (a, b, c, d) pairs: the column step mixes lanes in place, the diagonal step first
//! rotates b, c and d across their two vectors (the layout of the reference SSE2 code).

use crate::block::{Block, Compress, WORDS};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    /// Two 64-bit lanes.
    pub type V = v128;

    #[inline(always)]
    pub fn load(words: &[u64], index: usize) -> V {
        let pair = &words[2 * index..2 * index + 2];
        // SAFETY: `pair` contains two u64 (16 bytes), and v128_load has no alignment requirement.
        unsafe { v128_load(pair.as_ptr() as *const v128) }
    }

    #[inline(always)]
    pub fn store(words: &mut [u64], index: usize, value: V) {
        let pair = &mut words[2 * index..2 * index + 2];
        // SAFETY: `pair` contains two u64 (16 bytes) and is exclusively borrowed.
        unsafe { v128_store(pair.as_mut_ptr() as *mut v128, value) }
    }

    #[inline(always)]
    pub fn xor(a: V, b: V) -> V {
        v128_xor(a, b)
    }

    /// Byte indices that gather the low 32 bits of both 64-bit lanes into u32 lanes 0 and 1.
    static GATHER_LOW_HALVES: [u8; 16] = [0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11];

    /// The gather mask for [`blamka`], read so that the compiler cannot see its value. With a
    /// constant mask LLVM turns the gather and widening multiply into a full 64-bit `i64x2.mul`,
    /// which V8 emulates with about ten x86 instructions instead of one `pmuludq`.
    #[inline(always)]
    pub fn gather_mask() -> V {
        // SAFETY: the static is 16 readable bytes; v128_load has no alignment requirement.
        unsafe { core::ptr::read_volatile(GATHER_LOW_HALVES.as_ptr() as *const v128) }
    }

    /// x + y + 2 * lo32(x) * lo32(y) in each lane; `gather` comes from [`gather_mask`].
    #[inline(always)]
    pub fn blamka(x: V, y: V, gather: V) -> V {
        let xl = i8x16_swizzle(x, gather);
        let yl = i8x16_swizzle(y, gather);
        let product = u64x2_extmul_low_u32x4(xl, yl);
        i64x2_add(i64x2_add(x, y), i64x2_add(product, product))
    }

    #[inline(always)]
    pub fn rotr32(x: V) -> V {
        i32x4_shuffle::<1, 0, 3, 2>(x, x)
    }

    #[inline(always)]
    pub fn rotr24(x: V) -> V {
        i8x16_shuffle::<3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10>(x, x)
    }

    #[inline(always)]
    pub fn rotr16(x: V) -> V {
        i8x16_shuffle::<2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9>(x, x)
    }

    #[inline(always)]
    pub fn rotr63(x: V) -> V {
        v128_or(u64x2_shr(x, 63), i64x2_add(x, x))
    }

    /// (a.1, b.0): the high lane of `a` followed by the low lane of `b`.
    #[inline(always)]
    pub fn high_low(a: V, b: V) -> V {
        i64x2_shuffle::<1, 2>(a, b)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    /// Two 64-bit lanes.
    #[derive(Clone, Copy)]
    pub struct V([u64; 2]);

    #[inline(always)]
    pub fn load(words: &[u64], index: usize) -> V {
        V([words[2 * index], words[2 * index + 1]])
    }

    #[inline(always)]
    pub fn store(words: &mut [u64], index: usize, value: V) {
        words[2 * index] = value.0[0];
        words[2 * index + 1] = value.0[1];
    }

    #[inline(always)]
    fn map2(a: V, b: V, f: impl Fn(u64, u64) -> u64) -> V {
        V([f(a.0[0], b.0[0]), f(a.0[1], b.0[1])])
    }

    #[inline(always)]
    pub fn xor(a: V, b: V) -> V {
        map2(a, b, |x, y| x ^ y)
    }

    /// Unused by the portable emulation; present so both variants share one signature.
    #[inline(always)]
    pub fn gather_mask() -> V {
        V([0, 0])
    }

    #[inline(always)]
    pub fn blamka(x: V, y: V, _gather: V) -> V {
        map2(x, y, |x, y| {
            let product = (x & 0xffff_ffff).wrapping_mul(y & 0xffff_ffff);
            x.wrapping_add(y).wrapping_add(product.wrapping_add(product))
        })
    }

    #[inline(always)]
    pub fn rotr32(x: V) -> V {
        V([x.0[0].rotate_right(32), x.0[1].rotate_right(32)])
    }

    #[inline(always)]
    pub fn rotr24(x: V) -> V {
        V([x.0[0].rotate_right(24), x.0[1].rotate_right(24)])
    }

    #[inline(always)]
    pub fn rotr16(x: V) -> V {
        V([x.0[0].rotate_right(16), x.0[1].rotate_right(16)])
    }

    #[inline(always)]
    pub fn rotr63(x: V) -> V {
        V([x.0[0].rotate_right(63), x.0[1].rotate_right(63)])
    }

    #[inline(always)]
    pub fn high_low(a: V, b: V) -> V {
        V([a.0[1], b.0[0]])
    }
}

use lanes::*;

/// GB on two columns at once.
#[inline(always)]
fn gb2(a: &mut V, b: &mut V, c: &mut V, d: &mut V, g: V) {
    *a = blamka(*a, *b, g);
    *d = rotr32(xor(*d, *a));
    *c = blamka(*c, *d, g);
    *b = rotr24(xor(*b, *c));
    *a = blamka(*a, *b, g);
    *d = rotr16(xor(*d, *a));
    *c = blamka(*c, *d, g);
    *b = rotr63(xor(*b, *c));
}

/// Permutation P on eight vectors that contain words v0..v15 as (v0, v1), (v2, v3), ...
#[inline(always)]
fn permute(r: &mut [V; 8], g: V) {
    let [mut a0, mut a1, mut b0, mut b1, mut c0, mut c1, mut d0, mut d1] = *r;

    // Columns: GB(v0, v4, v8, v12) and GB(v1, v5, v9, v13), then GB(v2, ...) and GB(v3, ...).
    gb2(&mut a0, &mut b0, &mut c0, &mut d0, g);
    gb2(&mut a1, &mut b1, &mut c1, &mut d1, g);

    // Diagonals: GB(v0, v5, v10, v15), GB(v1, v6, v11, v12), GB(v2, v7, v8, v13), GB(v3, v4, v9, v14).
    let mut e0 = high_low(b0, b1); // (v5, v6)
    let mut e1 = high_low(b1, b0); // (v7, v4)
    let mut f0 = high_low(d1, d0); // (v15, v12)
    let mut f1 = high_low(d0, d1); // (v13, v14)
    gb2(&mut a0, &mut e0, &mut c1, &mut f0, g);
    gb2(&mut a1, &mut e1, &mut c0, &mut f1, g);
    b0 = high_low(e1, e0);
    b1 = high_low(e0, e1);
    d0 = high_low(f0, f1);
    d1 = high_low(f1, f0);

    *r = [a0, a1, b0, b1, c0, c1, d0, d1];
}

/// The vectorised compression function. Like the reference SSE2 code, it permutes a 1 KiB
/// working block in memory, eight vectors at a time.
pub struct Simd;

impl Compress for Simd {
    fn compress(next: &mut Block, prev: &Block, reference: &Block, xor_into: bool) {
        const VECTORS: usize = WORDS / 2;
        // state = R = prev XOR reference; next becomes R (XOR old next) until the final XOR.
        let mut state = Block::ZERO;
        for i in 0..VECTORS {
            let r = xor(load(&prev.0, i), load(&reference.0, i));
            store(&mut state.0, i, r);
            let keep = if xor_into { xor(r, load(&next.0, i)) } else { r };
            store(&mut next.0, i, keep);
        }

        let gather = gather_mask();
        for row in 0..8 {
            permute_row(&mut state, row, gather);
        }
        for column in 0..8 {
            permute_column(&mut state, column, gather);
        }

        for i in 0..VECTORS {
            let value = xor(load(&next.0, i), load(&state.0, i));
            store(&mut next.0, i, value);
        }
    }
}

/// P on row `row`: vectors 8 * row .. 8 * row + 7 (words 16 * row .. 16 * row + 15).
#[inline(always)]
fn permute_row(state: &mut Block, row: usize, gather: V) {
    let mut regs = [load(&state.0, 8 * row); 8];
    for (k, reg) in regs.iter_mut().enumerate().skip(1) {
        *reg = load(&state.0, 8 * row + k);
    }
    permute(&mut regs, gather);
    for (k, reg) in regs.iter().enumerate() {
        store(&mut state.0, 8 * row + k, *reg);
    }
}

/// P on column `column`: vector `column` of every row (words 2 * column and 2 * column + 1).
#[inline(always)]
fn permute_column(state: &mut Block, column: usize, gather: V) {
    let mut regs = [load(&state.0, column); 8];
    for (k, reg) in regs.iter_mut().enumerate().skip(1) {
        *reg = load(&state.0, column + 8 * k);
    }
    permute(&mut regs, gather);
    for (k, reg) in regs.iter().enumerate() {
        store(&mut state.0, column + 8 * k, *reg);
    }
}
