//! Known-answer tests through the C boundary, run natively with `cargo test`.

use provkit_crypto::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

type Argon2Export = unsafe extern "C" fn(
    *const u8, usize, *const u8, usize, *const u8, usize, *const u8, usize, u32, u32, u32, *mut u8, usize,
) -> i32;

struct Argon2Call<'a> {
    password: &'a [u8],
    salt: &'a [u8],
    secret: &'a [u8],
    associated_data: &'a [u8],
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    out_len: usize,
}

fn call_argon2(export: Argon2Export, call: &Argon2Call) -> Result<Vec<u8>, i32> {
    let mut out = vec![0u8; call.out_len];
    let code = unsafe {
        export(
            call.password.as_ptr(),
            call.password.len(),
            call.salt.as_ptr(),
            call.salt.len(),
            call.secret.as_ptr(),
            call.secret.len(),
            call.associated_data.as_ptr(),
            call.associated_data.len(),
            call.memory_kib,
            call.passes,
            call.lanes,
            out.as_mut_ptr(),
            out.len(),
        )
    };
    if code == 0 {
        Ok(out)
    } else {
        Err(code)
    }
}

/// RFC 9106, section 5.3 (Argon2id test vector).
fn rfc9106_call() -> Argon2Call<'static> {
    Argon2Call {
        password: &[0x01; 32],
        salt: &[0x02; 16],
        secret: &[0x03; 8],
        associated_data: &[0x04; 12],
        memory_kib: 32,
        passes: 3,
        lanes: 4,
        out_len: 32,
    }
}

const RFC9106_TAG: &str = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";

#[test]
fn argon2id_simd_matches_rfc9106_section_5_3() {
    let tag = call_argon2(provkit_argon2id, &rfc9106_call()).unwrap();
    assert_eq!(hex(&tag), RFC9106_TAG);
}

#[test]
fn argon2id_scalar_matches_rfc9106_section_5_3() {
    let tag = call_argon2(provkit_argon2id_scalar, &rfc9106_call()).unwrap();
    assert_eq!(hex(&tag), RFC9106_TAG);
}

#[test]
fn argon2id_rejects_parameters_outside_rfc9106_limits() {
    let base = rfc9106_call();
    let cases: [(Argon2Call, Error); 6] = [
        (Argon2Call { out_len: 3, ..rfc9106_call() }, Error::OutputLength),
        (Argon2Call { salt: &[2; 7], ..rfc9106_call() }, Error::SaltLength),
        (Argon2Call { lanes: 0, ..rfc9106_call() }, Error::Lanes),
        (Argon2Call { lanes: 1 << 24, memory_kib: u32::MAX, ..rfc9106_call() }, Error::Lanes),
        (Argon2Call { passes: 0, ..rfc9106_call() }, Error::Passes),
        (Argon2Call { memory_kib: 31, ..rfc9106_call() }, Error::MemorySize),
    ];
    for (call, error) in cases.iter() {
        assert_eq!(call_argon2(provkit_argon2id, call), Err(error.code()));
        assert_eq!(call_argon2(provkit_argon2id_scalar, call), Err(error.code()));
    }
    let code = unsafe {
        provkit_argon2id(
            std::ptr::null(), 4, base.salt.as_ptr(), base.salt.len(), std::ptr::null(), 0, std::ptr::null(), 0,
            32, 3, 4, std::ptr::null_mut(), 0,
        )
    };
    assert_eq!(code, Error::Pointer.code());
}

fn sha2_digest(algorithm: u32, data: &[u8]) -> Vec<u8> {
    let len = match algorithm {
        256 => 32,
        384 => 48,
        _ => 64,
    };
    let mut out = vec![0u8; len];
    let code = unsafe { provkit_sha2_digest(algorithm, data.as_ptr(), data.len(), out.as_mut_ptr(), len) };
    assert_eq!(code, 0);
    out
}

const ABC: &[u8] = b"abc";
const MSG_448: &[u8] = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const MSG_896: &[u8] = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

/// FIPS 180-4 example messages with the digests published by NIST in "Cryptographic Standards
/// and Guidelines: Examples with Intermediate Values" (SHA256.pdf, SHA384.pdf, SHA512.pdf), and
/// the one-million-'a' message of FIPS 180-2, appendix B.3 / C.3.
#[test]
fn sha2_matches_nist_examples() {
    let million_a = vec![b'a'; 1_000_000];
    let cases: [(u32, &[u8], &str); 9] = [
        (256, ABC, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (256, MSG_448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (256, &million_a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        (256, b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (384, ABC, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
        (384, MSG_896, "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"),
        (512, ABC, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        (512, MSG_896, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
        (512, &million_a, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
    ];
    for (algorithm, message, expected) in cases.iter() {
        assert_eq!(hex(&sha2_digest(*algorithm, message)), *expected, "SHA-{algorithm} of {} bytes", message.len());
    }
}

#[test]
fn sha2_streaming_matches_one_shot() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    for algorithm in [256u32, 384, 512] {
        let expected = sha2_digest(algorithm, &data);
        for chunk in [1usize, 63, 64, 65, 127, 128, 129, 1000, 5000] {
            let handle = provkit_sha2_init(algorithm);
            assert!(handle > 0);
            for piece in data.chunks(chunk) {
                assert_eq!(unsafe { provkit_sha2_update(handle as u32, piece.as_ptr(), piece.len()) }, 0);
            }
            let mut out = vec![0u8; expected.len()];
            assert_eq!(unsafe { provkit_sha2_finish(handle as u32, out.as_mut_ptr(), out.len()) }, 0);
            assert_eq!(out, expected, "SHA-{algorithm} in chunks of {chunk}");
            // A finished handle is gone.
            assert_eq!(unsafe { provkit_sha2_update(handle as u32, data.as_ptr(), 1) }, Error::Handle.code());
        }
    }
}

#[test]
fn sha2_rejects_bad_algorithm_handle_and_length() {
    assert_eq!(provkit_sha2_init(224), Error::Algorithm.code());
    assert_eq!(unsafe { provkit_sha2_update(0, std::ptr::null(), 0) }, Error::Handle.code());
    assert_eq!(provkit_sha2_discard(987_654), Error::Handle.code());
    let handle = provkit_sha2_init(256);
    let mut out = [0u8; 31];
    assert_eq!(unsafe { provkit_sha2_finish(handle as u32, out.as_mut_ptr(), 31) }, Error::OutputLength.code());
    assert_eq!(provkit_sha2_discard(handle as u32), 0);
    let mut digest = [0u8; 48];
    assert_eq!(unsafe { provkit_sha2_digest(256, ABC.as_ptr(), 3, digest.as_mut_ptr(), 48) }, Error::OutputLength.code());
}

/// RFC 5869, appendix A.1 (test case 1) and A.3 (test case 3, empty salt and info).
#[test]
fn hkdf_sha256_matches_rfc5869_appendix_a() {
    let cases = [
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        ),
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "",
            "",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        ),
    ];
    for (ikm, salt, info, expected) in cases {
        let (ikm, salt, info) = (unhex(ikm), unhex(salt), unhex(info));
        let mut okm = vec![0u8; expected.len() / 2];
        let code = unsafe {
            provkit_hkdf_sha256(
                ikm.as_ptr(), ikm.len(), salt.as_ptr(), salt.len(), info.as_ptr(), info.len(), okm.as_mut_ptr(), okm.len(),
            )
        };
        assert_eq!(code, 0);
        assert_eq!(hex(&okm), expected);
    }
    let mut too_long = vec![0u8; 255 * 32 + 1];
    let code = unsafe { provkit_hkdf_sha256(ABC.as_ptr(), 3, ABC.as_ptr(), 3, ABC.as_ptr(), 3, too_long.as_mut_ptr(), too_long.len()) };
    assert_eq!(code, Error::OutputLength.code());
}

#[test]
fn sha2_iterate_equals_repeated_digest() {
    for algorithm in [256u32, 384, 512] {
        let mut expected = sha2_digest(algorithm, ABC);
        for _ in 1..1000 {
            expected = sha2_digest(algorithm, &expected);
        }
        let mut out = vec![0u8; expected.len()];
        let code = unsafe { provkit_sha2_iterate(algorithm, ABC.as_ptr(), 3, 1000, out.as_mut_ptr(), out.len()) };
        assert_eq!(code, 0);
        assert_eq!(out, expected, "SHA-{algorithm}");
    }
    let mut out = [0u8; 32];
    assert_eq!(unsafe { provkit_sha2_iterate(256, ABC.as_ptr(), 3, 0, out.as_mut_ptr(), 32) }, Error::Passes.code());
    assert_eq!(unsafe { provkit_sha2_iterate(256, ABC.as_ptr(), 3, 1, out.as_mut_ptr(), 31) }, Error::OutputLength.code());
}
