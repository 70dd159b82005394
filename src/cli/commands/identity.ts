import path from 'node:path';
import { ProvkitError } from '../../errors.js';
import { detectFileType } from '../../formats/detect.js';
import { decryptPrivateIdentity, encryptPrivateIdentity, readPrivateIdentityHeader, type IdentityKey, type PrivateIdentityHeader, type PrivateIdentityKind } from '../../formats/identity.js';
import { PATTERNS } from '../../formats/manifest.js';
import { exportPkcs12, importPkcs12, PKCS12_EXPORT_ITERATIONS, PKCS12_MAX_ITERATIONS } from '../../formats/pkcs12.js';
import { describeType } from '../../formats/verify.js';
import { parseCertificate } from '../../formats/x509.js';
import { hardwareIdUri, validateHardwareId } from '../../provisioning/subject.js';
import { flag, integerOption, stringList, stringOption, type CommandArguments, type CommandSpec } from '../command.js';
import { checkOutputs, passphraseOptions, readInput, readPassphrase, writeOutputs } from '../io.js';
import { KDF_OPTIONS, kdfParameters, keyDerivation } from '../runtime.js';

const PASSPHRASE_ENV = 'PROVKIT_PASSPHRASE';
const NEW_PASSPHRASE_ENV = 'PROVKIT_NEW_PASSPHRASE';
const P12_PASSPHRASE_ENV = 'PROVKIT_P12_PASSPHRASE';
/** Lowest PBKDF2 and MAC iteration count an export accepts: OpenSSL 3.0's default for `pkcs12 -export`. */
const MIN_P12_ITERATIONS = 2048;

const KIND_NAMES: Record<PrivateIdentityKind, string> = {
  mcpip: describeType('mcpip'),
  mcpi: describeType('mcpi'),
  'issuer-keys': 'lab CA key container',
};

/** Describes a header as a JSON value; the keys themselves stay encrypted. */
function headerSummary(header: PrivateIdentityHeader, file: string): Record<string, unknown> {
  return {
    file,
    kind: header.kind,
    formatVersion: header.version,
    systemId: header.systemId,
    componentHandle: header.componentHandle,
    ...(header.hardwareId !== undefined ? { hardwareId: header.hardwareId } : {}),
    keys: header.keys,
    kdf: { algorithm: header.kdf.algorithm, version: header.kdf.version, memoryKiB: header.kdf.memoryKiB, passes: header.kdf.passes, lanes: header.kdf.lanes },
    cipher: header.cipher.algorithm,
    createdAt: header.createdAt.toISOString(),
    warnings: header.warnings,
  };
}

function headerLines(header: PrivateIdentityHeader, file: string): string[] {
  const lines = [
    `${file}: ${KIND_NAMES[header.kind]}, unencrypted header (the private keys stay encrypted)`,
    `  system: ${header.systemId}`,
    `  component: ${header.componentHandle}`,
    `  hardware id: ${header.hardwareId ?? '(none)'}`,
    `  created: ${header.createdAt.toISOString()}`,
    `  key derivation: Argon2id, ${header.kdf.memoryKiB} KiB, ${header.kdf.passes} passes, ${header.kdf.lanes} lane(s); cipher ${header.cipher.algorithm}`,
  ];
  for (const key of header.keys) {
    lines.push(`  key ${key.role}: ${key.algorithm}, SPKI SHA-256 ${key.spkiSha256}${key.certificateSha256 === undefined ? ', no certificate' : `, certificate SHA-256 ${key.certificateSha256}`}`);
  }
  for (const warning of header.warnings) lines.push(`  warning: ${warning}`);
  return lines;
}

function keySummary(key: IdentityKey): string {
  if (key.certificate === undefined) return `${key.role} (${key.algorithm}, no certificate)`;
  const chain = key.chain?.length ?? 0;
  return `${key.role} (${key.algorithm}, with certificate${chain > 0 ? ` and ${chain} chain certificate(s)` : ''})`;
}

const show: CommandSpec = {
  name: 'identity show',
  summary: 'Show the unencrypted header of a Private Identity (.mcpi, .mcpip): system, component, hardware id, and the role, algorithm and SHA-256 fingerprints of each key. Needs no passphrase.',
  positionals: 'FILE',
  positionalCount: { min: 1, max: 1 },
  options: { json: { type: 'boolean', description: 'Print the header as JSON.' } },
  async run(args, context) {
    const file = args.positionals[0]!;
    const name = path.basename(file);
    const header = readPrivateIdentityHeader(await readInput(file, 'identity'), { file: name });
    if (flag(args, 'json')) context.print(JSON.stringify(headerSummary(header, name), null, 2));
    else context.print(headerLines(header, name).join('\n'));
  },
};

const exportP12: CommandSpec = {
  name: 'identity export-p12',
  summary:
    'Write the keys of a Private Identity (.mcpi, .mcpip), with their certificates and chains, as a PKCS #12 file that OpenSSL and other tools read: keys under PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC), an HMAC-SHA-256 MAC, friendlyName = role.',
  positionals: 'IN.mcpi',
  positionalCount: { min: 1, max: 1 },
  options: {
    out: { type: 'string', value: 'FILE', required: true, description: 'Where to write the PKCS #12 file.' },
    force: { type: 'boolean', description: 'Replace FILE if it exists.' },
    'p12-iterations': { type: 'string', value: 'N', description: `PBKDF2 and MAC iterations (default ${PKCS12_EXPORT_ITERATIONS}; ${MIN_P12_ITERATIONS} to ${PKCS12_MAX_ITERATIONS}).` },
    ...passphraseOptions('passphrase', 'passphrase of the .mcpi or .mcpip', PASSPHRASE_ENV),
    ...passphraseOptions('p12-passphrase', 'passphrase for the PKCS #12 file this command writes', P12_PASSPHRASE_ENV),
  },
  async run(args, context) {
    const file = args.positionals[0]!;
    const name = path.basename(file);
    const out = stringOption(args, 'out')!;
    const iterations = integerOption(args, 'p12-iterations', { min: MIN_P12_ITERATIONS, max: PKCS12_MAX_ITERATIONS }) ?? PKCS12_EXPORT_ITERATIONS;
    const bytes = await readInput(file, 'identity');
    // The header check and the output check come before the passphrases and the key
    // derivation, so that a wrong file or an existing output fails at once.
    readPrivateIdentityHeader(bytes, { file: name });
    await checkOutputs([out], flag(args, 'force'));
    const passphrase = await readPassphrase(args, context, 'passphrase', 'passphrase', PASSPHRASE_ENV);
    const p12Passphrase = await readPassphrase(args, context, 'p12-passphrase', 'PKCS #12 passphrase', P12_PASSPHRASE_ENV);

    const identity = await decryptPrivateIdentity(bytes, passphrase, { kdf: await keyDerivation(), file: name });
    const pfx = await exportPkcs12(identity, p12Passphrase, { iterations });
    await writeOutputs([{ file: out, bytes: pfx }], flag(args, 'force'));
    context.print(`wrote ${out}: keys ${identity.keys.map(keySummary).join(', ')}; PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC, HMAC-SHA-256 MAC, ${iterations} iterations`);
  },
};

/** Parses the repeatable `--role NAME=ROLE` flag into a map from the name in the file to the new role. */
function roleRenames(args: CommandArguments): Map<string, string> {
  const renames = new Map<string, string>();
  for (const entry of stringList(args, 'role')) {
    const separator = entry.indexOf('=');
    const from = entry.slice(0, separator);
    const to = entry.slice(separator + 1);
    if (separator <= 0 || !PATTERNS.role.test(to)) {
      throw new ProvkitError('invalid-argument', `--role needs NAME=ROLE with ROLE of 1 to 32 lowercase letters, digits and "-" starting with a letter, got ${JSON.stringify(entry)}`);
    }
    if (renames.has(from)) throw new ProvkitError('invalid-argument', `--role names key "${from}" twice; give one role per key`);
    renames.set(from, to);
  }
  return renames;
}

/**
 * Returns the hardware id of an imported identity: `--hardware-id`, or the
 * `urn:provkit:hardware-id:` subjectAltName that provkit puts in every device certificate.
 * Throws ProvkitError('mismatch') when the flag and the certificates, or two certificates, differ.
 */
function importedHardwareId(keys: IdentityKey[], hardwareIdFlag: string | undefined, file: string): string | undefined {
  const prefix = hardwareIdUri('');
  const found = new Map<string, string>();
  for (const key of keys) {
    if (key.certificate === undefined) continue;
    const location = { file, field: `certificate of key ${key.role}` };
    const certificate = parseCertificate(key.certificate, location);
    for (const name of certificate.subjectAltNames) {
      if (name.type !== 'uri' || !name.value.startsWith(prefix)) continue;
      const hardwareId = name.value.slice(prefix.length);
      validateHardwareId(hardwareId, location);
      found.set(hardwareId, key.role);
    }
  }
  const named = [...found.keys()];
  if (hardwareIdFlag !== undefined) {
    const other = named.find((hardwareId) => hardwareId !== hardwareIdFlag);
    if (other !== undefined) {
      throw new ProvkitError('mismatch', `the certificate of key "${found.get(other)}" is for hardware id "${other}", not the --hardware-id "${hardwareIdFlag}"; check that this is the device's file`, { file });
    }
    return hardwareIdFlag;
  }
  if (named.length > 1) {
    throw new ProvkitError('mismatch', `the certificates name several hardware ids (${named.join(', ')}); one identity belongs to one device, so import its keys separately`, { file });
  }
  return named[0];
}

const importP12: CommandSpec = {
  name: 'identity import-p12',
  summary:
    'Read the keys and certificates of a PKCS #12 file (from "provkit identity export-p12" or "openssl pkcs12 -export" with OpenSSL 3 defaults) and write them as a Private Identity encrypted with Argon2id. Each key takes its role from its friendlyName.',
  positionals: 'IN.p12',
  positionalCount: { min: 1, max: 1 },
  options: {
    out: { type: 'string', value: 'FILE', required: true, description: 'Where to write the identity: a name ending in .mcpi writes a final identity, .mcpip one to be provisioned.' },
    force: { type: 'boolean', description: 'Replace FILE if it exists.' },
    'system-id': { type: 'string', value: 'UUID', required: true, description: 'Id of the system the identity belongs to, as "provkit inspect" shows it in the .mcpp or .mcp.' },
    component: { type: 'string', value: 'HANDLE', required: true, description: 'Component handle the identity belongs to.' },
    'hardware-id': {
      type: 'string',
      value: 'ID',
      description: 'Hardware id of the device (default: the urn:provkit:hardware-id: subjectAltName of the certificates; required for .mcpi when they carry none).',
    },
    role: {
      type: 'string',
      value: 'NAME=ROLE',
      multiple: true,
      description: 'Give the key named NAME the role ROLE. A key is named by its friendlyName, or key-1, key-2, ... by its position in the file when its friendlyName is missing or not a valid role.',
    },
    ...passphraseOptions('p12-passphrase', 'passphrase of the PKCS #12 file', P12_PASSPHRASE_ENV),
    ...passphraseOptions('new-passphrase', 'passphrase for the .mcpi or .mcpip this command writes', NEW_PASSPHRASE_ENV, 'The PKCS #12 passphrase is never used in its place.'),
    ...KDF_OPTIONS,
  },
  async run(args, context) {
    const file = args.positionals[0]!;
    const name = path.basename(file);
    const out = stringOption(args, 'out')!;
    const kind = /\.mcpip$/i.test(out) ? 'mcpip' : /\.mcpi$/i.test(out) ? 'mcpi' : undefined;
    if (kind === undefined) throw new ProvkitError('invalid-argument', `--out must name a file ending in .mcpi or .mcpip, got ${JSON.stringify(out)}`);
    const systemId = stringOption(args, 'system-id')!.toLowerCase();
    if (!PATTERNS.uuid.test(systemId)) throw new ProvkitError('invalid-argument', `--system-id must be a UUID such as 0b6e1c2a-4f3d-4e5a-9b7c-1d2e3f4a5b6c, got ${JSON.stringify(stringOption(args, 'system-id'))}`);
    const componentHandle = stringOption(args, 'component')!;
    if (!PATTERNS.componentHandle.test(componentHandle)) {
      throw new ProvkitError('invalid-argument', `--component must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, got ${JSON.stringify(componentHandle)}`);
    }
    const givenHardwareId = stringOption(args, 'hardware-id');
    if (givenHardwareId !== undefined) validateHardwareId(givenHardwareId);
    const renames = roleRenames(args);
    const parameters = kdfParameters(args);

    const bytes = await readInput(file, 'PKCS #12 file');
    const type = detectFileType(bytes, name);
    if (type !== 'unknown') throw new ProvkitError('wrong-type', `${name} is a ${describeType(type)}, not a PKCS #12 file; give a .p12 or .pfx file`);
    await checkOutputs([out], flag(args, 'force'));
    const p12Passphrase = await readPassphrase(args, context, 'p12-passphrase', 'PKCS #12 passphrase', P12_PASSPHRASE_ENV);
    const newPassphrase = await readPassphrase(args, context, 'new-passphrase', 'new passphrase', NEW_PASSPHRASE_ENV);

    const kdf = await keyDerivation();
    const contents = await importPkcs12(bytes, p12Passphrase, { file: name });
    if (contents.keys.length === 0) throw new ProvkitError('wrong-type', `${name} contains certificates but no private key; export the key together with its certificate`);
    for (const from of renames.keys()) {
      if (!contents.keys.some((key) => key.role === from)) {
        throw new ProvkitError('invalid-argument', `--role ${from}=...: ${name} has no key named "${from}"; its keys are ${contents.keys.map((key) => key.role).join(', ')}`);
      }
    }
    const keys = contents.keys.map((key) => ({ ...key, role: renames.get(key.role) ?? key.role }));
    const duplicate = keys.find((key, index) => keys.findIndex((other) => other.role === key.role) !== index);
    if (duplicate !== undefined) throw new ProvkitError('invalid-argument', `two keys of ${name} would have role "${duplicate.role}"; give each its own role with --role NAME=ROLE`);

    const hardwareId = importedHardwareId(keys, givenHardwareId, name);
    if (kind === 'mcpi' && hardwareId === undefined) {
      throw new ProvkitError('invalid-argument', `the certificates of ${name} carry no ${hardwareIdUri('ID')} name, so pass --hardware-id ID: a .mcpi belongs to one device`);
    }
    const identity = await encryptPrivateIdentity(
      { kind, systemId, componentHandle, ...(hardwareId !== undefined ? { hardwareId } : {}), keys },
      newPassphrase,
      { kdf, ...(parameters !== undefined ? { parameters } : {}), createdAt: context.now() },
    );
    await writeOutputs([{ file: out, bytes: identity }], flag(args, 'force'));
    const dropped = keys.some((key) => key.certificate !== undefined) ? 0 : contents.certificates.length;
    context.print(
      `wrote ${out}: system ${systemId}, component ${componentHandle}, hardware id ${hardwareId ?? '(none)'}, keys ${keys.map(keySummary).join(', ')}` +
        (dropped > 0 ? `; ${dropped} certificate(s) that belong to no key were left out` : ''),
    );
  },
};

/** The `provkit identity ...` commands. */
export const IDENTITY_COMMANDS: CommandSpec[] = [show, exportP12, importP12];
