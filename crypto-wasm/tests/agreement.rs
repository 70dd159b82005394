//! The SIMD schedule (run here through its portable two-lane emulation), the scalar compression
//! function and the independent `rust-argon2` crate must produce identical Argon2id tags.

use provkit_crypto::argon2::{hash, Params};
use provkit_crypto::block::{Block, Compress, Scalar};
use provkit_crypto::simd::Simd;

/// SplitMix64: a small deterministic generator, so a failing case can be replayed from its seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// `min + below(spread)` random bytes.
    fn bytes(&mut self, min: usize, spread: u64) -> Vec<u8> {
        let len = min + self.below(spread) as usize;
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn compression_simd_equals_scalar_on_random_blocks() {
    let mut rng = SplitMix(1);
    for round in 0..5000 {
        let mut prev = Block::ZERO;
        let mut reference = Block::ZERO;
        let mut next = Block::ZERO;
        for i in 0..128 {
            prev.0[i] = rng.next();
            reference.0[i] = rng.next();
            next.0[i] = rng.next();
        }
        let xor_into = round % 2 == 1;
        let mut scalar = next;
        let mut simd = next;
        Scalar::compress(&mut scalar, &prev, &reference, xor_into);
        Simd::compress(&mut simd, &prev, &reference, xor_into);
        assert!(scalar.0 == simd.0, "block round {round}");
    }
}

#[test]
fn argon2id_paths_agree_with_rust_argon2_on_random_parameters() {
    let mut rng = SplitMix(0x5eed);
    for case in 0..3000 {
        let lanes = 1 + rng.below(4) as u32;
        let memory_kib = 8 * lanes + rng.below(120) as u32;
        let passes = 1 + rng.below(3) as u32;
        let out_len = 4 + rng.below(140) as usize;
        let password = rng.bytes(0, 40);
        let salt = rng.bytes(8, 24);
        let secret = rng.bytes(0, 17);
        let associated_data = rng.bytes(0, 20);
        let params = Params {
            password: &password,
            salt: &salt,
            secret: &secret,
            associated_data: &associated_data,
            memory_kib,
            passes,
            lanes,
        };

        let mut scalar = vec![0u8; out_len];
        hash::<Scalar>(&params, &mut scalar).unwrap();
        let mut simd = vec![0u8; out_len];
        hash::<Simd>(&params, &mut simd).unwrap();

        let config = argon2::Config {
            ad: &associated_data,
            hash_length: out_len as u32,
            lanes,
            mem_cost: memory_kib,
            secret: &secret,
            thread_mode: argon2::ThreadMode::Sequential,
            time_cost: passes,
            variant: argon2::Variant::Argon2id,
            version: argon2::Version::Version13,
        };
        let oracle = argon2::hash_raw(&password, &salt, &config).unwrap();

        let label = format!("case {case}: m={memory_kib} t={passes} p={lanes} T={out_len}");
        assert_eq!(scalar, oracle, "scalar vs rust-argon2, {label}");
        assert_eq!(simd, oracle, "simd vs rust-argon2, {label}");
    }
}
