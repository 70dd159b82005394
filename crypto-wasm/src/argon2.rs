//! Argon2id (RFC 9106), version 0x13, computing the lanes one after another (no threads in
//! WebAssembly; the result does not depend on the order within a slice).

use crate::blake2b::{hash_long, Blake2b};
use crate::block::{Block, Compress};
use crate::Error;
use zeroize::Zeroize;

/// Argon2 version number v (RFC 9106, section 3.1).
const VERSION: u32 = 0x13;
/// Argon2 type y for Argon2id.
const TYPE_ID: u32 = 2;
/// Slices per pass, SL in RFC 9106.
const SYNC_POINTS: u32 = 4;
/// Pseudo-random 64-bit values in one address block (data-independent addressing).
const ADDRESSES_IN_BLOCK: u32 = 128;

/// Smallest tag length T in bytes (RFC 9106, section 3.1).
pub const MIN_OUTPUT_LEN: usize = 4;
/// Smallest salt length in bytes. RFC 9106 only bounds it above; 8 is the reference
/// implementation's ARGON2_MIN_SALT_LENGTH and keeps short salts out.
pub const MIN_SALT_LEN: usize = 8;
/// Largest degree of parallelism p (RFC 9106, section 3.1: 2^24 - 1).
pub const MAX_LANES: u32 = 0x00ff_ffff;

/// Inputs to one Argon2id evaluation.
pub struct Params<'a> {
    /// Password P.
    pub password: &'a [u8],
    /// Salt S.
    pub salt: &'a [u8],
    /// Optional secret K.
    pub secret: &'a [u8],
    /// Optional associated data X.
    pub associated_data: &'a [u8],
    /// Memory size m in KiB (1024-byte blocks).
    pub memory_kib: u32,
    /// Number of passes t.
    pub passes: u32,
    /// Degree of parallelism p.
    pub lanes: u32,
}

/// Checks `params` and the tag length against the limits of RFC 9106, section 3.1.
pub fn check(params: &Params, output_len: usize) -> Result<(), Error> {
    fn fits_u32(len: usize) -> bool {
        u32::try_from(len).is_ok()
    }
    if output_len < MIN_OUTPUT_LEN || !fits_u32(output_len) {
        return Err(Error::OutputLength);
    }
    if params.salt.len() < MIN_SALT_LEN || !fits_u32(params.salt.len()) {
        return Err(Error::SaltLength);
    }
    if !fits_u32(params.password.len())
        || !fits_u32(params.secret.len())
        || !fits_u32(params.associated_data.len())
    {
        return Err(Error::InputLength);
    }
    if params.lanes == 0 || params.lanes > MAX_LANES {
        return Err(Error::Lanes);
    }
    if params.passes == 0 {
        return Err(Error::Passes);
    }
    // m >= 8p; the product cannot overflow u64.
    if u64::from(params.memory_kib) < 8 * u64::from(params.lanes) {
        return Err(Error::MemorySize);
    }
    Ok(())
}

/// Computes the Argon2id tag of `params` into `out` with compression function `C`.
pub fn hash<C: Compress>(params: &Params, out: &mut [u8]) -> Result<(), Error> {
    check(params, out.len())?;

    let lanes = params.lanes;
    // m' = 4p * floor(m / 4p) blocks; q = m' / p columns per lane.
    let memory_blocks = 4 * lanes * (params.memory_kib / (4 * lanes));
    let lane_length = memory_blocks / lanes;
    let segment_length = lane_length / SYNC_POINTS;

    let mut memory: Vec<Block> = Vec::new();
    memory.try_reserve_exact(memory_blocks as usize).map_err(|_| Error::OutOfMemory)?;
    memory.resize(memory_blocks as usize, Block::ZERO);

    let mut h0 = initial_hash(params, out.len() as u32);
    fill_first_blocks(&mut memory, &h0, lanes, lane_length);
    h0.zeroize();

    let geometry = Geometry { memory_blocks, lanes, lane_length, segment_length, passes: params.passes };
    for pass in 0..params.passes {
        for slice in 0..SYNC_POINTS {
            for lane in 0..lanes {
                fill_segment::<C>(&mut memory, &geometry, pass, lane, slice);
            }
        }
    }

    // C = B[0][q-1] XOR ... XOR B[p-1][q-1]; Tag = H'^T(C).
    let mut last = memory[(lane_length - 1) as usize];
    for lane in 1..lanes {
        last.xor_with(&memory[(lane * lane_length + lane_length - 1) as usize]);
    }
    let mut bytes = [0u8; 1024];
    last.to_le_bytes(&mut bytes);
    hash_long(&[&bytes], out);

    bytes.zeroize();
    last.0.zeroize();
    for block in memory.iter_mut() {
        block.0.zeroize();
    }
    Ok(())
}

struct Geometry {
    memory_blocks: u32,
    lanes: u32,
    lane_length: u32,
    segment_length: u32,
    passes: u32,
}

/// H0 = H^(64)(LE32(p) || LE32(T) || LE32(m) || LE32(t) || LE32(v) || LE32(y) || LE32(len P) || P
///      || LE32(len S) || S || LE32(len K) || K || LE32(len X) || X)  (RFC 9106, section 3.2).
/// `m` here is the requested memory size, not m'.
fn initial_hash(params: &Params, output_len: u32) -> [u8; 64] {
    let mut hasher = Blake2b::new(64);
    for value in [params.lanes, output_len, params.memory_kib, params.passes, VERSION, TYPE_ID] {
        hasher.update(&value.to_le_bytes());
    }
    for input in [params.password, params.salt, params.secret, params.associated_data] {
        hasher.update(&(input.len() as u32).to_le_bytes());
        hasher.update(input);
    }
    let mut h0 = [0u8; 64];
    hasher.finalize(&mut h0);
    h0
}

/// B[i][0] = H'^(1024)(H0 || LE32(0) || LE32(i)) and B[i][1] = H'^(1024)(H0 || LE32(1) || LE32(i)).
fn fill_first_blocks(memory: &mut [Block], h0: &[u8; 64], lanes: u32, lane_length: u32) {
    let mut bytes = [0u8; 1024];
    for lane in 0..lanes {
        for column in 0..2u32 {
            hash_long(&[h0, &column.to_le_bytes(), &lane.to_le_bytes()], &mut bytes);
            memory[(lane * lane_length + column) as usize] = Block::from_le_bytes(&bytes);
        }
    }
    bytes.zeroize();
}

/// Fills one segment (RFC 9106, sections 3.2 and 3.4). Argon2id addresses data-independently
/// in the first two slices of the first pass and data-dependently everywhere else.
fn fill_segment<C: Compress>(memory: &mut [Block], g: &Geometry, pass: u32, lane: u32, slice: u32) {
    let data_independent = pass == 0 && slice < SYNC_POINTS / 2;

    let mut input = Block::ZERO;
    let mut addresses = Block::ZERO;
    if data_independent {
        input.0[0] = u64::from(pass);
        input.0[1] = u64::from(lane);
        input.0[2] = u64::from(slice);
        input.0[3] = u64::from(g.memory_blocks);
        input.0[4] = u64::from(g.passes);
        input.0[5] = u64::from(TYPE_ID);
    }

    // The first two blocks of each lane come from H0, so the first segment starts at 2; its
    // address block must still be generated because it also covers indices 0 and 1.
    let mut start = 0;
    if pass == 0 && slice == 0 {
        start = 2;
        if data_independent {
            next_addresses::<C>(&mut addresses, &mut input);
        }
    }

    let lane_base = lane * g.lane_length;
    let mut current = lane_base + slice * g.segment_length + start;
    let mut previous = if current % g.lane_length == 0 { current + g.lane_length - 1 } else { current - 1 };

    for index in start..g.segment_length {
        if current % g.lane_length == 1 {
            previous = current - 1;
        }

        let pseudo_random = if data_independent {
            if index % ADDRESSES_IN_BLOCK == 0 {
                next_addresses::<C>(&mut addresses, &mut input);
            }
            addresses.0[(index % ADDRESSES_IN_BLOCK) as usize]
        } else {
            memory[previous as usize].0[0]
        };

        let reference_lane = if pass == 0 && slice == 0 {
            lane
        } else {
            ((pseudo_random >> 32) % u64::from(g.lanes)) as u32
        };
        let reference_index =
            reference_index(g, pass, slice, index, pseudo_random as u32, reference_lane == lane);
        let reference = reference_lane * g.lane_length + reference_index;

        compress_in_place::<C>(memory, current as usize, previous as usize, reference as usize, pass > 0);
        current += 1;
        previous += 1;
    }
}

/// Maps J1 to a block index in the reference lane (RFC 9106, section 3.4.2).
fn reference_index(g: &Geometry, pass: u32, slice: u32, index: u32, j1: u32, same_lane: bool) -> u32 {
    // |W|: the blocks that may be referenced. It never includes the block being computed or,
    // in the same lane, the block just before it.
    let area_size: u32 = if pass == 0 {
        if slice == 0 {
            index - 1
        } else if same_lane {
            slice * g.segment_length + index - 1
        } else {
            slice * g.segment_length - u32::from(index == 0)
        }
    } else if same_lane {
        g.lane_length - g.segment_length + index - 1
    } else {
        g.lane_length - g.segment_length - u32::from(index == 0)
    };

    let x = (u64::from(j1) * u64::from(j1)) >> 32;
    let y = (u64::from(area_size) * x) >> 32;
    let relative = u64::from(area_size) - 1 - y;

    let start = if pass == 0 || slice == SYNC_POINTS - 1 { 0 } else { (slice + 1) * g.segment_length };
    ((u64::from(start) + relative) % u64::from(g.lane_length)) as u32
}

/// Next 128 pseudo-random values: address = G(ZERO, G(ZERO, input)) with the counter advanced.
fn next_addresses<C: Compress>(addresses: &mut Block, input: &mut Block) {
    input.0[6] += 1;
    let mut first = Block::ZERO;
    C::compress(&mut first, &Block::ZERO, input, false);
    C::compress(addresses, &Block::ZERO, &first, false);
}

/// memory[current] = G(memory[previous], memory[reference]), XORed into the old value when `xor_into`.
#[inline(always)]
fn compress_in_place<C: Compress>(memory: &mut [Block], current: usize, previous: usize, reference: usize, xor_into: bool) {
    // The reference area excludes the current block, and the previous block is a different
    // index, so `next` never aliases the two inputs; the bounds checks are kept.
    debug_assert!(current != previous && current != reference);
    assert!(current < memory.len() && previous < memory.len() && reference < memory.len());
    let base = memory.as_mut_ptr();
    // SAFETY: all three indices are in bounds (checked above), and `current` differs from
    // `previous` and `reference` (Argon2's indexing rules), so the mutable borrow is unique.
    unsafe {
        let next = &mut *base.add(current);
        C::compress(next, &*base.add(previous), &*base.add(reference), xor_into);
    }
}
