import { createHash } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, createCliRunner } from '../helpers/cli.js';
import { openssl, temporaryDirectory } from './provisioning-fixtures.js';

// Runs `node bin/provkit.mjs identity ...` as a user would, with OpenSSL 3 on the other side of
// each PKCS #12 file. Argon2id runs at the floor that readers accept, set with the documented
// flags --kdf-memory 19456 --kdf-passes 2; the PKCS #12 files keep the default 600000 iterations
// unless a test sets --p12-iterations.

const KDF = ['--kdf-memory', '19456', '--kdf-passes', '2'];
const DEVICE_PASSPHRASE = 'device passphrase';
const P12_PASSPHRASE = 'p12 export passphrase';

interface HeaderJson {
  kind: string;
  systemId: string;
  componentHandle: string;
  hardwareId?: string;
  keys: Array<{ role: string; algorithm: string; spkiSha256: string; certificateSha256?: string }>;
  kdf: { memoryKiB: number; passes: number };
}

let work = '';
const baseEnv: Record<string, string> = {
  PATH: process.env['PATH'] ?? '',
  PROVKIT_LAB_PASSPHRASE: 'lab passphrase',
  PROVKIT_PACKAGE_PASSPHRASE: 'package passphrase',
  PROVKIT_ACTOR: 'tester',
};

const runner = createCliRunner(() => work, baseEnv);
const { ok } = runner;

/** Runs provkit and expects `code` and exactly `line` as the one line on stderr. */
async function fails(args: string[], code: number, line: string | RegExp, env: Record<string, string> = {}): Promise<CliResult> {
  const result = await runner.fails(args, code, env);
  if (typeof line === 'string') expect(result.stderr).toBe(`${line}\n`);
  else expect(result.stderr).toMatch(line);
  return result;
}

async function show(file: string): Promise<HeaderJson> {
  return JSON.parse(await ok(['identity', 'show', file, '--json'])) as HeaderJson;
}

async function exists(file: string): Promise<boolean> {
  return access(path.join(work, file)).then(() => true, () => false);
}

/** SHA-256 of the DER SubjectPublicKeyInfo that OpenSSL derives from a private key in PEM. */
async function opensslSpkiSha256(keyPem: string, name: string): Promise<string> {
  await writeFile(path.join(work, name), keyPem, { mode: 0o600 });
  await openssl(['pkey', '-in', name, '-pubout', '-outform', 'DER', '-out', `${name}.spki`], work);
  return createHash('sha256').update(await readFile(path.join(work, `${name}.spki`))).digest('hex');
}

const device = { PROVKIT_PASSPHRASE: DEVICE_PASSPHRASE };
const p12 = { PROVKIT_P12_PASSPHRASE: P12_PASSPHRASE };
let original: HeaderJson;

describe('provkit identity', { timeout: 180_000 }, () => {
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const temporary = await temporaryDirectory('provkit-cli-identity-');
    work = temporary.directory;
    cleanup = temporary.cleanup;
    await writeFile(path.join(work, 'p12-passphrase.txt'), `${P12_PASSPHRASE}\n`, { mode: 0o600 });

    // A device provisioned through the lab: SN-P1.mcpi holds the identity and tls keys with
    // their certificates and the issuing CA chain.
    await ok(['lab', 'init', '--lab', 'lab', '--name', 'Pumps', '--approval', 'automatic', '--component', 'pump', ...KDF]);
    await ok(['lab', 'package', '--lab', 'lab', '--component', 'pump', '--out', 'pkg', ...KDF]);
    const packageFiles = ['--truststore', 'pkg/truststore.mcts', '--profile', 'pkg/pump.mcpp', '--identity', 'pkg/pump.mcpip'];
    await ok(['request', ...packageFiles, '--hardware-id', 'SN-P1', '--out', 'SN-P1.mcpr', '--pending-out', 'SN-P1.pending.mcpi', ...KDF], {
      PROVKIT_PASSPHRASE: 'package passphrase',
      PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE,
    });
    await ok(['lab', 'submit', '--lab', 'lab', 'SN-P1.mcpr']);
    await ok(['install', '--truststore', 'pkg/truststore.mcts', '--request', 'SN-P1.mcpr', '--pending', 'SN-P1.pending.mcpi', '--profile', 'SN-P1.mcp', '--identity-out', 'SN-P1.mcpi', '--profile-out', 'SN-P1.installed.mcp', ...KDF], device);
    original = await show('SN-P1.mcpi');
  });
  afterAll(async () => cleanup());

  it('shows the header without a passphrase', async () => {
    expect(original).toMatchObject({ kind: 'mcpi', componentHandle: 'pump', hardwareId: 'SN-P1', kdf: { memoryKiB: 19456, passes: 2 } });
    expect(original.keys.map((key) => [key.role, key.algorithm])).toEqual([
      ['identity', 'ecdsa-p256'],
      ['tls', 'ecdsa-p256'],
    ]);
    for (const key of original.keys) expect(key.certificateSha256).toMatch(/^[0-9a-f]{64}$/);

    const text = (await ok(['identity', 'show', 'SN-P1.mcpi'])).split('\n');
    expect(text[0]).toBe('SN-P1.mcpi: Private Identity (.mcpi), unencrypted header (the private keys stay encrypted)');
    expect(text).toContain('  hardware id: SN-P1');
    expect(text).toContain(`  key tls: ecdsa-p256, SPKI SHA-256 ${original.keys[1]!.spkiSha256}, certificate SHA-256 ${original.keys[1]!.certificateSha256}`);
  });

  it('exports a .mcpi that openssl pkcs12 -info opens', async () => {
    const stdout = await ok(['identity', 'export-p12', 'SN-P1.mcpi', '--out', 'SN-P1.p12', '--p12-passphrase-file', 'p12-passphrase.txt'], device);
    expect(stdout).toBe(
      'wrote SN-P1.p12: keys identity (ecdsa-p256, with certificate and 1 chain certificate(s)), tls (ecdsa-p256, with certificate and 1 chain certificate(s)); PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC, HMAC-SHA-256 MAC, 600000 iterations\n',
    );

    const info = await openssl(['pkcs12', '-info', '-noout', '-in', 'SN-P1.p12', '-passin', 'file:p12-passphrase.txt'], work);
    expect(info.stderr).toContain('MAC: sha256, Iteration 600000');
    expect(info.stderr.match(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/g)).toHaveLength(2);
    expect(info.stderr.match(/Certificate bag/g)).toHaveLength(3);

    // The keys OpenSSL decrypts are the keys of the .mcpi, each under its role.
    const dump = await openssl(['pkcs12', '-in', 'SN-P1.p12', '-passin', 'file:p12-passphrase.txt', '-nocerts', '-nodes'], work);
    const blocks = dump.stdout.split('Bag Attributes').slice(1);
    expect(blocks).toHaveLength(2);
    for (const [index, block] of blocks.entries()) {
      const key = original.keys[index]!;
      expect(block).toContain(`friendlyName: ${key.role}`);
      const pem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(block)![0];
      expect(await opensslSpkiSha256(pem, `exported-${key.role}.pem`)).toBe(key.spkiSha256);
    }
  });

  it('imports the export back with the same keys', async () => {
    const stdout = await ok(['identity', 'import-p12', 'SN-P1.p12', '--out', 'SN-P1.back.mcpi', '--system-id', original.systemId, '--component', 'pump', ...KDF], { ...p12, PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE });
    expect(stdout).toBe(
      `wrote SN-P1.back.mcpi: system ${original.systemId}, component pump, hardware id SN-P1, keys identity (ecdsa-p256, with certificate and 1 chain certificate(s)), tls (ecdsa-p256, with certificate and 1 chain certificate(s))\n`,
    );
    const back = await show('SN-P1.back.mcpi');
    expect(back.kind).toBe('mcpi');
    expect(back.systemId).toBe(original.systemId);
    expect(back.hardwareId).toBe('SN-P1');
    expect(back.keys).toEqual(original.keys);

    // The imported identity is a working current identity for reprovisioning.
    const checked = await ok(['check', '--truststore', 'pkg/truststore.mcts', '--profile', 'SN-P1.installed.mcp', '--identity', 'SN-P1.back.mcpi'], device);
    expect(checked).toMatch(/^package ok: system [0-9a-f-]{36}, component pump, profile [0-9a-f-]{36}, reprovisioning, roles identity \(ecdsa-p256\), tls \(ecdsa-p256\)\n$/);
  });

  it('imports an openssl pkcs12 -export file', async () => {
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ossl.key', '-subj', '/CN=SN-O1', '-addext', 'subjectAltName=URI:urn:provkit:hardware-id:SN-O1', '-days', '2', '-out', 'ossl.pem'], work);
    await openssl(['pkcs12', '-export', '-inkey', 'ossl.key', '-in', 'ossl.pem', '-name', 'tls', '-out', 'ossl.p12', '-passout', 'file:p12-passphrase.txt'], work);
    const info = await openssl(['pkcs12', '-info', '-noout', '-in', 'ossl.p12', '-passin', 'file:p12-passphrase.txt'], work);
    expect(info.stderr).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256');

    const stdout = await ok(['identity', 'import-p12', 'ossl.p12', '--out', 'ossl.mcpi', '--system-id', original.systemId, '--component', 'pump', '--role', 'tls=device-tls', '--p12-passphrase-file', 'p12-passphrase.txt', ...KDF], { PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE });
    expect(stdout).toBe(`wrote ossl.mcpi: system ${original.systemId}, component pump, hardware id SN-O1, keys device-tls (ecdsa-p256, with certificate)\n`);
    const imported = await show('ossl.mcpi');
    expect(imported.keys.map((key) => [key.role, key.algorithm])).toEqual([['device-tls', 'ecdsa-p256']]);
    expect(imported.keys[0]!.spkiSha256).toBe(await opensslSpkiSha256(await readFile(path.join(work, 'ossl.key'), 'utf8'), 'ossl-copy.key'));
    const certificateDer = await openssl(['x509', '-in', 'ossl.pem', '-outform', 'DER', '-out', 'ossl.der'], work).then(() => readFile(path.join(work, 'ossl.der')));
    expect(imported.keys[0]!.certificateSha256).toBe(createHash('sha256').update(certificateDer).digest('hex'));
  });

  it('rejects a wrong passphrase on either side', async () => {
    await fails(
      ['identity', 'import-p12', 'SN-P1.p12', '--out', 'wrong.mcpi', '--system-id', original.systemId, '--component', 'pump', ...KDF],
      5,
      'provkit identity import-p12: SN-P1.p12: could not open the PKCS#12 file: the passphrase is wrong, or the file is damaged or was modified [decrypt-failed]',
      { PROVKIT_P12_PASSPHRASE: 'not the passphrase', PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE },
    );
    expect(await exists('wrong.mcpi')).toBe(false);
    await fails(
      ['identity', 'export-p12', 'SN-P1.mcpi', '--out', 'wrong.p12'],
      5,
      'provkit identity export-p12: SN-P1.mcpi: could not decrypt the private identity: the passphrase is wrong, or the file is damaged or was modified [decrypt-failed]',
      { ...p12, PROVKIT_PASSPHRASE: 'not the passphrase' },
    );
    expect(await exists('wrong.p12')).toBe(false);
  });

  it('rejects legacy 3DES PKCS #12 files as unsupported', async () => {
    // OpenSSL 3's -legacy needs the legacy provider; without it, name the old algorithms.
    const legacyArgs = ['pkcs12', '-export', '-inkey', 'ossl.key', '-in', 'ossl.pem', '-out', 'legacy.p12', '-passout', 'file:p12-passphrase.txt'];
    await openssl([...legacyArgs, '-legacy'], work).catch(() => openssl([...legacyArgs, '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'], work));
    const importArgs = ['--system-id', original.systemId, '--component', 'pump', '--p12-passphrase-file', 'p12-passphrase.txt', ...KDF];
    await fails(
      ['identity', 'import-p12', 'legacy.p12', '--out', 'legacy.mcpi', ...importArgs],
      3,
      'provkit identity import-p12: legacy.p12: PFX.macData: MAC digest 1.3.14.3.2.26 is not supported; re-export with -macalg sha256 [unsupported]',
      { PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE },
    );
    // 3DES shrouded keys under a SHA-256 MAC fail at the key bag.
    await openssl(['pkcs12', '-export', '-inkey', 'ossl.key', '-in', 'ossl.pem', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-out', 'des.p12', '-passout', 'file:p12-passphrase.txt'], work);
    await fails(
      ['identity', 'import-p12', 'des.p12', '--out', 'des.mcpi', ...importArgs],
      3,
      /^provkit identity import-p12: des\.p12: AuthenticatedSafe\[\d\]\S*: encryption scheme 1\.2\.840\.113549\.1\.12\.1\.3 is not PBES2 \(legacy RC2\/3DES files need re-export with OpenSSL 3 defaults\) \[unsupported\]\n$/,
      { PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE },
    );
    expect(await exists('legacy.mcpi')).toBe(false);
    expect(await exists('des.mcpi')).toBe(false);
  });

  it('asks for what the PKCS #12 file lacks', async () => {
    const env = { ...p12, PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE };
    await fails(['identity', 'import-p12', 'SN-P1.p12', '--out', 'x.mcpi', '--component', 'pump'], 2, 'provkit identity import-p12: --system-id is required; see "provkit identity import-p12 --help" [invalid-argument]', env);
    await fails(['identity', 'import-p12', 'SN-P1.p12', '--out', 'x.pem', '--system-id', original.systemId, '--component', 'pump'], 2, 'provkit identity import-p12: --out must name a file ending in .mcpi or .mcpip, got "x.pem" [invalid-argument]', env);
    await fails(
      ['identity', 'import-p12', 'SN-P1.p12', '--out', 'x.mcpi', '--system-id', original.systemId, '--component', 'pump', '--hardware-id', 'SN-OTHER', ...KDF],
      4,
      'provkit identity import-p12: SN-P1.p12: the certificate of key "tls" is for hardware id "SN-P1", not the --hardware-id "SN-OTHER"; check that this is the device\'s file [mismatch]',
      env,
    );
    await fails(
      ['identity', 'import-p12', 'SN-P1.p12', '--out', 'x.mcpi', '--system-id', original.systemId, '--component', 'pump', '--role', 'firmware=fw', ...KDF],
      2,
      'provkit identity import-p12: --role firmware=...: SN-P1.p12 has no key named "firmware"; its keys are identity, tls [invalid-argument]',
      env,
    );
    await fails(
      ['identity', 'import-p12', 'SN-P1.p12', '--out', 'x.mcpi', '--system-id', original.systemId, '--component', 'pump', '--role', 'identity=tls', ...KDF],
      2,
      'provkit identity import-p12: two keys of SN-P1.p12 would have role "tls"; give each its own role with --role NAME=ROLE [invalid-argument]',
      env,
    );
    expect(await exists('x.mcpi')).toBe(false);

    // A key without a provkit hardware id name needs --hardware-id for a .mcpi, not for a .mcpip.
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'plain.key', '-subj', '/CN=plain', '-days', '2', '-out', 'plain.pem'], work);
    await openssl(['pkcs12', '-export', '-inkey', 'plain.key', '-in', 'plain.pem', '-out', 'plain.p12', '-passout', 'file:p12-passphrase.txt'], work);
    const plain = ['identity', 'import-p12', 'plain.p12', '--system-id', original.systemId, '--component', 'pump', ...KDF];
    await fails([...plain, '--out', 'plain.mcpi'], 2, 'provkit identity import-p12: the certificates of plain.p12 carry no urn:provkit:hardware-id:ID name, so pass --hardware-id ID: a .mcpi belongs to one device [invalid-argument]', env);
    expect(await ok([...plain, '--out', 'plain.mcpi', '--hardware-id', 'SN-PLAIN'], env)).toMatch(/hardware id SN-PLAIN, keys key-1 \(ecdsa-p256, with certificate\)\n$/);
    expect(await ok([...plain, '--out', 'plain.mcpip', '--role', 'key-1=provisioning'], env)).toMatch(/hardware id \(none\), keys provisioning \(ecdsa-p256, with certificate\)\n$/);
    expect((await show('plain.mcpip')).kind).toBe('mcpip');
  });

  it('rejects wrong files and existing outputs', async () => {
    await fails(['identity', 'show', 'SN-P1.p12'], 3, 'provkit identity show: SN-P1.p12: not a provkit private identity: the file does not start with the MCPIP, MCPI or MCIK magic [wrong-type]');
    await fails(
      ['identity', 'import-p12', 'SN-P1.mcpi', '--out', 'x.mcpi', '--system-id', original.systemId, '--component', 'pump'],
      3,
      'provkit identity import-p12: SN-P1.mcpi is a Private Identity (.mcpi), not a PKCS #12 file; give a .p12 or .pfx file [wrong-type]',
      { ...p12, PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE },
    );
    await openssl(['pkcs12', '-export', '-nokeys', '-in', 'ossl.pem', '-out', 'certs-only.p12', '-passout', 'file:p12-passphrase.txt'], work);
    await fails(
      ['identity', 'import-p12', 'certs-only.p12', '--out', 'x.mcpi', '--system-id', original.systemId, '--component', 'pump', '--hardware-id', 'SN-X', ...KDF],
      3,
      'provkit identity import-p12: certs-only.p12 contains certificates but no private key; export the key together with its certificate [wrong-type]',
      { ...p12, PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE },
    );
    await fails(['identity', 'export-p12', 'SN-P1.mcpi', '--out', 'SN-P1.p12'], 7, 'provkit identity export-p12: SN-P1.p12 already exists; remove it or pass --force [invalid-state]', { ...device, ...p12 });
    await fails(['identity', 'export-p12', 'SN-P1.mcpi', '--out', 'cheap.p12', '--p12-iterations', '100'], 2, 'provkit identity export-p12: --p12-iterations must be an integer from 2048 to 10000000, got "100" [invalid-argument]', { ...device, ...p12 });
    await fails(['identity', 'export-p12', 'SN-P1.mcpi', '--out', 'nopass.p12'], 2, 'provkit identity export-p12: no PKCS #12 passphrase: set environment variable PROVKIT_P12_PASSPHRASE or pass --p12-passphrase-file FILE [invalid-argument]', device);
    expect(await exists('nopass.p12')).toBe(false);
  });

  it('documents the commands and their flags', async () => {
    const overall = await ok(['--help']);
    for (const command of ['identity show', 'identity export-p12', 'identity import-p12']) expect(overall).toContain(`  ${command} `);
    const exportHelp = await ok(['identity', 'export-p12', '--help']);
    for (const flag of ['--out FILE', '--passphrase-file FILE', '--passphrase-env NAME', '--p12-passphrase-file FILE', '--p12-passphrase-env NAME', '--p12-iterations N']) expect(exportHelp).toContain(flag);
    const importHelp = await ok(['identity', 'import-p12', '--help']);
    for (const flag of ['--system-id UUID', '--component HANDLE', '--hardware-id ID', '--role NAME=ROLE', '--p12-passphrase-file FILE', '--new-passphrase-env NAME', '--kdf-memory KIB']) expect(importHelp).toContain(flag);
    await fails(['identity', 'frob'], 2, 'provkit: unknown command "identity frob". Identity commands: show, export-p12, import-p12. Run "provkit --help" for the list.');
  });
});
