import path from 'node:path';
import { ProvkitError } from '../../errors.js';
import { checkProvisioningPackage } from '../../provisioning/package-check.js';
import { generateProvisionRequest, initialiseDevice, installCertifiedProfile, type ExternalCsr } from '../../provisioning/device.js';
import { pemOrDer } from '../../formats/der.js';
import { CommandFailure, flag, requiredString, stringList, stringOption, timeOption, type CommandArguments, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { exitCodeFor } from '../exit-codes.js';
import { passphraseOptions, readInput, readPassphrase, writeOutputs } from '../io.js';
import { KDF_OPTIONS, kdfParameters, keyDerivation } from '../runtime.js';

const PASSPHRASE_ENV = 'PROVKIT_PASSPHRASE';
const NEW_PASSPHRASE_ENV = 'PROVKIT_NEW_PASSPHRASE';

const PACKAGE: Record<string, OptionSpec> = {
  truststore: { type: 'string', value: 'FILE', required: true, description: "The system's TrustStore (.mcts)." },
  profile: { type: 'string', value: 'FILE', required: true, description: 'The .mcpp of the package, or the current .mcp when reprovisioning.' },
  identity: { type: 'string', value: 'FILE', required: true, description: 'The .mcpip of the package, or the current .mcpi when reprovisioning.' },
  at: { type: 'string', value: 'TIME', description: 'Check validity at TIME (RFC 3339, or @SECONDS since 1970) instead of now.' },
};
const PASSPHRASE = passphraseOptions('passphrase', 'passphrase of the .mcpip or current .mcpi', PASSPHRASE_ENV);
const NEW_PASSPHRASE = passphraseOptions('new-passphrase', 'passphrase for the .mcpi this command writes', NEW_PASSPHRASE_ENV, 'When neither flag is given and PROVKIT_NEW_PASSPHRASE is unset, the input passphrase is used.');

function names(args: CommandArguments): { trustStore: string; profile: string; identity: string } {
  return { trustStore: path.basename(stringOption(args, 'truststore')!), profile: path.basename(stringOption(args, 'profile')!), identity: path.basename(stringOption(args, 'identity')!) };
}

async function readPackage(args: CommandArguments): Promise<{ trustStore: Uint8Array; profile: Uint8Array; identity: Uint8Array; names: ReturnType<typeof names> }> {
  return {
    trustStore: await readInput(stringOption(args, 'truststore')!, 'TrustStore'),
    profile: await readInput(stringOption(args, 'profile')!, 'profile'),
    identity: await readInput(stringOption(args, 'identity')!, 'identity'),
    names: names(args),
  };
}

/** Reads the passphrase for files this command writes: --new-passphrase-*, or PROVKIT_NEW_PASSPHRASE when set, else the input passphrase. */
async function newPassphrase(args: CommandArguments, context: CommandContext, fallback: string): Promise<string> {
  const given = stringOption(args, 'new-passphrase-file') !== undefined || stringOption(args, 'new-passphrase-env') !== undefined || context.env[NEW_PASSPHRASE_ENV] !== undefined;
  return given ? readPassphrase(args, context, 'new-passphrase', 'new passphrase', NEW_PASSPHRASE_ENV) : fallback;
}

const check: CommandSpec = {
  name: 'check',
  summary: 'Check a provisioning package (or a current .mcp and .mcpi before reprovisioning) and list every problem with its code: signature and chain to the TrustStore, provisioning key against its certificate, expiry, supported algorithms.',
  options: { ...PACKAGE, ...PASSPHRASE, json: { type: 'boolean', description: 'Print the result as JSON on stdout.' } },
  async run(args, context) {
    const files = await readPackage(args);
    const passphrase = await readPassphrase(args, context, 'passphrase', 'passphrase', PASSPHRASE_ENV);
    const result = await checkProvisioningPackage(files, { passphrase, kdf: await keyDerivation(), time: timeOption(args, 'at') ?? context.now() });
    if (flag(args, 'json')) {
      context.print(JSON.stringify({ ok: result.ok, purpose: result.purpose, problems: result.problems, warnings: result.warnings, ...(result.session !== undefined ? { systemId: result.session.systemId, componentHandle: result.session.componentHandle, profileId: result.session.profileId, roles: result.session.keyRoles.map((role) => ({ role: role.role, algorithm: role.algorithm })) } : {}) }, null, 2));
    } else if (result.ok && result.session !== undefined) {
      context.print(`package ok: system ${result.session.systemId}, component ${result.session.componentHandle}, profile ${result.session.profileId}, ${result.purpose === 'initial' ? 'first provisioning' : 'reprovisioning'}, roles ${result.session.keyRoles.map((role) => `${role.role} (${role.algorithm})`).join(', ')}`);
      for (const warning of result.warnings) context.print(`warning: ${warning}`);
    } else {
      for (const problem of result.problems) context.print(`${problem.code}: ${problem.message}`);
    }
    if (!result.ok) {
      const first = result.problems[0]!;
      throw new CommandFailure(`the package has ${result.problems.length} problem(s); first: ${first.message} [${first.code}]`, exitCodeFor(first.code));
    }
  },
};

const request: CommandSpec = {
  name: 'request',
  summary: 'Create a Provision Request (.mcpr) and the pending Private Identity (.mcpi) holding the new private keys. With a .mcp and .mcpi as --profile and --identity, create a reprovisioning request signed with the current identity.',
  options: {
    ...PACKAGE,
    'hardware-id': { type: 'string', value: 'ID', description: "Device hardware id, 1 to 36 characters from letters, digits, '.', '_', ':' and '-'; the default roles put it in serialNumber, which cannot hold '_' (required for first provisioning; reprovisioning keeps the current one)." },
    component: { type: 'string', value: 'HANDLE', description: 'Expected component handle; fails when the package is for another component.' },
    csr: { type: 'string', value: 'ROLE=FILE', multiple: true, description: 'Use the CSR in FILE (PEM or DER, made by a secure element, TPM or OpenSSL) for ROLE instead of generating a key.' },
    out: { type: 'string', value: 'FILE', required: true, description: 'Where to write the .mcpr.' },
    'pending-out': { type: 'string', value: 'FILE', description: 'Where to write the pending .mcpi (required unless every role has a --csr).' },
    force: { type: 'boolean', description: 'Replace existing output files.' },
    ...PASSPHRASE,
    ...NEW_PASSPHRASE,
    ...KDF_OPTIONS,
  },
  async run(args, context) {
    const files = await readPackage(args);
    const passphrase = await readPassphrase(args, context, 'passphrase', 'passphrase', PASSPHRASE_ENV);
    const kdf = await keyDerivation();
    const time = timeOption(args, 'at') ?? context.now();
    const hardwareId = stringOption(args, 'hardware-id');
    const componentHandle = stringOption(args, 'component');
    const device = await initialiseDevice(files, { kdf, passphrase, time, logger: context.logger, ...(hardwareId !== undefined ? { hardwareId } : {}), ...(componentHandle !== undefined ? { componentHandle } : {}) });

    const externalCsrs: ExternalCsr[] = [];
    for (const entry of stringList(args, 'csr')) {
      const separator = entry.indexOf('=');
      if (separator <= 0) throw new ProvkitError('invalid-argument', `--csr needs ROLE=FILE, got ${JSON.stringify(entry)}`);
      const file = entry.slice(separator + 1);
      const der = pemOrDer(await readInput(file, 'CSR'), ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], { file });
      if (der.length !== 1) throw new ProvkitError('invalid-argument', `${file} holds ${der.length} CSRs; pass one CSR per --csr`);
      externalCsrs.push({ role: entry.slice(0, separator), csr: der[0]!, file });
    }
    const pendingOut = stringOption(args, 'pending-out');
    const generatesKeys = device.keyRoles.some((role) => !externalCsrs.some((entry) => entry.role === role.role));
    if (generatesKeys && pendingOut === undefined) throw new ProvkitError('invalid-argument', '--pending-out FILE is required: it receives the new private keys');
    const parameters = kdfParameters(args);
    const generated = await generateProvisionRequest(device, {
      kdf,
      time,
      logger: context.logger,
      externalCsrs,
      passphrase: await newPassphrase(args, context, passphrase),
      ...(parameters !== undefined ? { kdfParameters: parameters } : {}),
    });
    const out = stringOption(args, 'out')!;
    const outputs = [{ file: out, bytes: generated.request }];
    if (generated.pendingIdentity !== undefined && pendingOut !== undefined) outputs.push({ file: pendingOut, bytes: generated.pendingIdentity });
    await writeOutputs(outputs, flag(args, 'force'));
    context.print(`wrote ${outputs.map((output) => output.file).join(' and ')}: request ${generated.requestId} for hardware id ${device.hardwareId} (${device.purpose === 'initial' ? 'first provisioning' : 'reprovisioning'}), roles ${generated.manifest.csrs.map((entry) => entry.role).join(', ')}`);
  },
};

const install: CommandSpec = {
  name: 'install',
  summary: 'Install a Certified Profile (.mcp): verify it against the TrustStore and check that it answers the request (request id, hardware id, public keys, roles, validity), then write the final .mcpi and .mcp. Nothing is written when a check fails.',
  options: {
    truststore: PACKAGE['truststore']!,
    request: { type: 'string', value: 'FILE', required: true, description: 'The .mcpr this device sent.' },
    pending: { type: 'string', value: 'FILE', description: 'The pending .mcpi written with the request (omit only when every key is held outside provkit).' },
    profile: { type: 'string', value: 'FILE', required: true, description: 'The .mcp the issuer returned.' },
    'identity-out': { type: 'string', value: 'FILE', description: 'Where to write the final .mcpi (required with --pending).' },
    'profile-out': { type: 'string', value: 'FILE', required: true, description: 'Where to write the installed .mcp.' },
    at: PACKAGE['at']!,
    force: { type: 'boolean', description: 'Replace existing output files.' },
    ...passphraseOptions('passphrase', 'passphrase of the pending .mcpi', PASSPHRASE_ENV),
    ...NEW_PASSPHRASE,
    ...KDF_OPTIONS,
  },
  async run(args, context) {
    const pendingFile = stringOption(args, 'pending');
    const identityOut = stringOption(args, 'identity-out');
    if (pendingFile !== undefined && identityOut === undefined) throw new ProvkitError('invalid-argument', '--identity-out FILE is required with --pending');
    const passphrase = pendingFile === undefined ? undefined : await readPassphrase(args, context, 'passphrase', 'passphrase', PASSPHRASE_ENV);
    const parameters = kdfParameters(args);
    const installed = await installCertifiedProfile(
      {
        trustStore: await readInput(requiredString(args, 'truststore', 'install'), 'TrustStore'),
        request: await readInput(requiredString(args, 'request', 'install'), 'request'),
        profile: await readInput(requiredString(args, 'profile', 'install'), 'profile'),
        ...(pendingFile !== undefined ? { pendingIdentity: await readInput(pendingFile, 'pending identity') } : {}),
        names: {
          trustStore: path.basename(stringOption(args, 'truststore')!),
          request: path.basename(stringOption(args, 'request')!),
          profile: path.basename(stringOption(args, 'profile')!),
          ...(pendingFile !== undefined ? { pendingIdentity: path.basename(pendingFile) } : {}),
        },
      },
      {
        kdf: await keyDerivation(),
        time: timeOption(args, 'at') ?? context.now(),
        logger: context.logger,
        ...(passphrase !== undefined ? { passphrase, newPassphrase: await newPassphrase(args, context, passphrase) } : {}),
        ...(parameters !== undefined ? { kdfParameters: parameters } : {}),
      },
    );
    const outputs = [{ file: stringOption(args, 'profile-out')!, bytes: installed.profile }];
    if (identityOut !== undefined && installed.identity.length > 0) outputs.unshift({ file: identityOut, bytes: installed.identity });
    await writeOutputs(outputs, flag(args, 'force'));
    context.print(`installed request ${installed.requestId} for hardware id ${installed.hardwareId}: wrote ${outputs.map((output) => output.file).join(' and ')}; certificates ${installed.certificates.map((entry) => `${entry.role} serial ${entry.certificate.serialHex} until ${entry.certificate.notAfter.toISOString()}`).join(', ')}`);
  },
};

/** The device-side commands. */
export const DEVICE_COMMANDS: CommandSpec[] = [check, request, install];
