import path from 'node:path';
import { ProvkitError } from '../../errors.js';
import { isKeyAlgorithmName } from '../../crypto/algorithms.js';
import { LabIssuer, type SubmitResult } from '../../issuer/issuer.js';
import { reportToCsv, reportToJson } from '../../issuer/report.js';
import { currentState } from '../../issuer/states.js';
import { normaliseSystemSpec, type SystemSpec } from '../../issuer/system.js';
import { FileIssuerStore } from '../../node/file-issuer-store.js';
import { toPem } from '../../formats/der.js';
import { CommandFailure, flag, integerOption, requiredString, stringList, stringOption, type CommandArguments, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { exitCodeFor } from '../exit-codes.js';
import { checkOutputs, passphraseOptions, readInput, readPassphrase, writeOutputs } from '../io.js';
import { KDF_OPTIONS, kdfParameters, keyDerivation, oneOf } from '../runtime.js';

const LAB_PASSPHRASE_ENV = 'PROVKIT_LAB_PASSPHRASE';
const PACKAGE_PASSPHRASE_ENV = 'PROVKIT_PACKAGE_PASSPHRASE';
const PROXY_PASSPHRASE_ENV = 'PROVKIT_PROXY_PASSPHRASE';

const LAB: Record<string, OptionSpec> = {
  lab: { type: 'string', value: 'DIR', required: true, description: 'Lab directory holding the issuer state (issuer.json).' },
};
const SYSTEM: Record<string, OptionSpec> = {
  system: { type: 'string', value: 'ID|NAME', description: 'System to act on; needed only when the lab has several.' },
};
const ACTOR: Record<string, OptionSpec> = {
  actor: { type: 'string', value: 'NAME', description: 'Operator recorded in the state history (default $PROVKIT_ACTOR, then $USER).' },
};
const REQUEST: Record<string, OptionSpec> = {
  request: { type: 'string', value: 'ID', required: true, description: 'Request id (a UUID, as "lab submit" and "lab report" print it).' },
};
const JSON_OUTPUT: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'Print the result as JSON on stdout.' },
};
const LAB_PASSPHRASE = passphraseOptions('passphrase', 'lab passphrase that protects the CA keys', LAB_PASSPHRASE_ENV);

async function openIssuer(args: CommandArguments, context: CommandContext): Promise<LabIssuer> {
  const directory = stringOption(args, 'lab')!;
  return new LabIssuer({ store: new FileIssuerStore(directory), kdf: await keyDerivation(), kdfParameters: kdfParameters(args), logger: context.logger, now: context.now });
}

function actorOf(args: CommandArguments, context: CommandContext): string {
  return stringOption(args, 'actor') ?? context.env['PROVKIT_ACTOR'] ?? context.env['USER'] ?? 'operator';
}

const labInit: CommandSpec = {
  name: 'lab init',
  summary: 'Create a lab directory (if needed) and a system in it with its CA hierarchy: root, issuing CA, provisioning CA and profile signer. The CA keys are encrypted under the lab passphrase.',
  options: {
    ...LAB,
    name: { type: 'string', value: 'NAME', description: 'System name, 1 to 128 characters (required unless --system-file gives it).' },
    approval: { type: 'string', value: 'MODE', description: 'automatic (requests that pass verification are approved and issued at once) or manual (default).' },
    component: { type: 'string', value: 'HANDLE', multiple: true, description: 'Component handle with the default key roles identity and tls (P-256).' },
    'system-file': { type: 'string', value: 'FILE', description: 'JSON system specification: name, approvalMode, components with roles, hardwareIdAllowList, validityDays, requestWindowSeconds, caAlgorithm, caValidityDays; flags override it.' },
    'allow-list': { type: 'string', value: 'FILE', description: 'Accept only the hardware ids in FILE, one per line (default: any hardware id).' },
    'validity-days': { type: 'string', value: 'DAYS', description: 'Validity of device certificates in days (default 365).' },
    'request-window': { type: 'string', value: 'SECONDS', description: "Accept requests whose creation time is within this many seconds of the processing time (default 86400)." },
    'ca-algorithm': { type: 'string', value: 'ALG', description: 'Key algorithm of the CA hierarchy (default ecdsa-p256).' },
    'ca-validity-days': { type: 'string', value: 'DAYS', description: 'Validity of the CA certificates in days (default 7300).' },
    'truststore-out': { type: 'string', value: 'FILE', description: "Also write the system's TrustStore (.mcts) to FILE." },
    force: { type: 'boolean', description: 'Replace the --truststore-out file if it exists.' },
    ...LAB_PASSPHRASE,
    ...KDF_OPTIONS,
    ...JSON_OUTPUT,
  },
  async run(args, context) {
    let spec: Partial<SystemSpec> = {};
    const systemFile = stringOption(args, 'system-file');
    if (systemFile !== undefined) {
      try {
        spec = JSON.parse(new TextDecoder().decode(await readInput(systemFile, 'system file'))) as Partial<SystemSpec>;
      } catch (error) {
        if (error instanceof ProvkitError) throw error;
        throw new ProvkitError('malformed', `the system file is not valid JSON (${(error as Error).message})`, { file: systemFile });
      }
      if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
        throw new ProvkitError('malformed', 'the system file must contain one JSON object such as {"name": "Pumps", "components": [{"handle": "pump"}]}', { file: systemFile });
      }
    }
    const name = stringOption(args, 'name') ?? spec.name;
    if (name === undefined) throw new ProvkitError('invalid-argument', '--name is required (or a "name" in --system-file); see "provkit lab init --help"');
    const components = stringList(args, 'component');
    const approval = stringOption(args, 'approval');
    const caAlgorithm = stringOption(args, 'ca-algorithm');
    if (caAlgorithm !== undefined && !isKeyAlgorithmName(caAlgorithm)) throw new ProvkitError('invalid-argument', `--ca-algorithm ${caAlgorithm} is not a key algorithm name such as ecdsa-p256`);
    const merged: SystemSpec = {
      ...spec,
      name,
      components: components.length > 0 ? components.map((handle) => ({ handle })) : (spec.components ?? []),
    };
    if (approval !== undefined) merged.approvalMode = oneOf(approval, ['automatic', 'manual'] as const, 'approval', 'manual');
    const validityDays = integerOption(args, 'validity-days', { min: 1, max: 10950 });
    if (validityDays !== undefined) merged.validityDays = validityDays;
    const window = integerOption(args, 'request-window', { min: 1, max: 366 * 86400 });
    if (window !== undefined) merged.requestWindowSeconds = window;
    if (caAlgorithm !== undefined && isKeyAlgorithmName(caAlgorithm)) merged.caAlgorithm = caAlgorithm;
    const caValidity = integerOption(args, 'ca-validity-days', { min: 2, max: 18250 });
    if (caValidity !== undefined) merged.caValidityDays = caValidity;
    const allowList = stringOption(args, 'allow-list');
    if (allowList !== undefined) {
      merged.hardwareIdAllowList = new TextDecoder().decode(await readInput(allowList, 'allow-list')).split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    }
    if (merged.components.length === 0) throw new ProvkitError('invalid-argument', 'a system needs at least one component: pass --component HANDLE or list components in --system-file');

    // Every check that can fail runs before the lab directory or the system is created.
    normaliseSystemSpec(merged);
    const passphrase = await readPassphrase(args, context, 'passphrase', 'lab passphrase', LAB_PASSPHRASE_ENV);
    const truststoreOut = stringOption(args, 'truststore-out');
    if (truststoreOut !== undefined) await checkOutputs([truststoreOut], flag(args, 'force'));
    const store = new FileIssuerStore(stringOption(args, 'lab')!);
    if (!(await store.exists())) await store.initialise();
    const issuer = await openIssuer(args, context);
    const system = await issuer.createSystem(merged, passphrase);
    if (truststoreOut !== undefined) await writeOutputs([{ file: truststoreOut, bytes: await issuer.trustStore(system.id) }], flag(args, 'force'));
    if (flag(args, 'json')) {
      context.print(JSON.stringify({ systemId: system.id, name: system.name, approvalMode: system.approvalMode, components: system.components.map((component) => ({ handle: component.handle, roles: component.roles.map((role) => role.role) })) }, null, 2));
    } else {
      context.print(`created system ${system.name} (${system.id}), approval ${system.approvalMode}, components ${system.components.map((component) => `${component.handle} [${component.roles.map((role) => role.role).join(', ')}]`).join(', ')}`);
    }
  },
};

const labPackage: CommandSpec = {
  name: 'lab package',
  summary: 'Export a provisioning package for a component into a directory: truststore.mcts, COMPONENT.mcpp and COMPONENT.mcpip (a new provisioning identity, encrypted under the package passphrase).',
  options: {
    ...LAB,
    ...SYSTEM,
    component: { type: 'string', value: 'HANDLE', required: true, description: 'Component to package.' },
    out: { type: 'string', value: 'DIR', required: true, description: 'Directory the three files are written to (created if missing).' },
    'validity-days': { type: 'string', value: 'DAYS', description: 'Validity of the provisioning certificate in days (default 365).' },
    force: { type: 'boolean', description: 'Replace existing files in DIR.' },
    ...LAB_PASSPHRASE,
    ...passphraseOptions('package-passphrase', 'package passphrase that protects the .mcpip', PACKAGE_PASSPHRASE_ENV),
    ...KDF_OPTIONS,
    ...JSON_OUTPUT,
  },
  async run(args, context) {
    const issuer = await openIssuer(args, context);
    const system = await issuer.findSystem(stringOption(args, 'system'));
    const component = requiredString(args, 'component', 'lab package');
    const validityDays = integerOption(args, 'validity-days', { min: 1, max: 10950 });
    const passphrase = await readPassphrase(args, context, 'passphrase', 'lab passphrase', LAB_PASSPHRASE_ENV);
    const packagePassphrase = await readPassphrase(args, context, 'package-passphrase', 'package passphrase', PACKAGE_PASSPHRASE_ENV);
    if (!system.components.some((candidate) => candidate.handle === component)) {
      throw new ProvkitError('not-allowed', `system ${system.name} has no component "${component}"; its components are ${system.components.map((candidate) => candidate.handle).join(', ')}`);
    }
    const out = stringOption(args, 'out')!;
    const files = { trustStore: path.join(out, 'truststore.mcts'), profile: path.join(out, `${component}.mcpp`), identity: path.join(out, `${component}.mcpip`) };
    // Checked before the package is recorded, so that a name clash changes nothing in the lab.
    await checkOutputs(Object.values(files), flag(args, 'force'));
    const ca = await issuer.unlock(system.id, passphrase);
    const exported = await issuer.exportPackage(system.id, component, { ca, packagePassphrase, ...(validityDays !== undefined ? { validityDays } : {}) });
    await writeOutputs(
      [
        { file: files.trustStore, bytes: exported.trustStore },
        { file: files.profile, bytes: exported.profile },
        { file: files.identity, bytes: exported.identity },
      ],
      flag(args, 'force'),
    );
    if (flag(args, 'json')) context.print(JSON.stringify({ systemId: system.id, component, profileId: exported.profileId, provisioningSerial: exported.provisioningSerialHex, files }, null, 2));
    else context.print(`wrote ${files.trustStore}, ${files.profile}, ${files.identity} (profile ${exported.profileId}, provisioning certificate serial ${exported.provisioningSerialHex})`);
  },
};

const labProxy: CommandSpec = {
  name: 'lab proxy',
  summary: "Issue a proxy identity for a system. It is a new key and a certificate with the provkit proxy usage (BASE.10.4) under the issuing CA, written as a .mcpi encrypted under the proxy passphrase. The proxy wraps devices' requests with \"provkit proxy wrap\".",
  options: {
    ...LAB,
    ...SYSTEM,
    name: { type: 'string', value: 'NAME', required: true, description: "Proxy name, unique in the system: the certificate's CN and the .mcpi hardware id (1 to 36 letters, digits, '.', '_', ':', '-')." },
    out: { type: 'string', value: 'FILE', required: true, description: 'Where to write the proxy .mcpi.' },
    'cert-out': { type: 'string', value: 'FILE', description: 'Also write the proxy certificate as PEM to FILE.' },
    'validity-days': { type: 'string', value: 'DAYS', description: 'Validity of the proxy certificate in days (default 365).' },
    force: { type: 'boolean', description: 'Replace existing output files.' },
    ...LAB_PASSPHRASE,
    ...passphraseOptions('proxy-passphrase', 'proxy passphrase that protects the .mcpi', PROXY_PASSPHRASE_ENV),
    ...KDF_OPTIONS,
    ...JSON_OUTPUT,
  },
  async run(args, context) {
    const issuer = await openIssuer(args, context);
    const system = await issuer.findSystem(stringOption(args, 'system'));
    const name = requiredString(args, 'name', 'lab proxy');
    const validityDays = integerOption(args, 'validity-days', { min: 1, max: 10950 });
    const passphrase = await readPassphrase(args, context, 'passphrase', 'lab passphrase', LAB_PASSPHRASE_ENV);
    const proxyPassphrase = await readPassphrase(args, context, 'proxy-passphrase', 'proxy passphrase', PROXY_PASSPHRASE_ENV);
    const out = stringOption(args, 'out')!;
    const certOut = stringOption(args, 'cert-out');
    const outputs = certOut === undefined ? [out] : [out, certOut];
    // Checked before the proxy is recorded, so that a name clash changes nothing in the lab.
    await checkOutputs(outputs, flag(args, 'force'));
    const ca = await issuer.unlock(system.id, passphrase);
    const issued = await issuer.issueProxy(system.id, name, { ca, proxyPassphrase, ...(validityDays !== undefined ? { validityDays } : {}) });
    await writeOutputs([{ file: out, bytes: issued.identity }, ...(certOut === undefined ? [] : [{ file: certOut, bytes: toPem('CERTIFICATE', issued.certificate.der) }])], flag(args, 'force'));
    const { record } = issued;
    if (flag(args, 'json')) context.print(JSON.stringify({ systemId: system.id, name, serial: record.serialHex, subject: record.subject, notAfter: record.notAfter, files: outputs }, null, 2));
    else context.print(`wrote ${outputs.join(' and ')}: proxy ${name} of system ${system.name}, certificate serial ${record.serialHex} until ${record.notAfter}`);
  },
};

const labProxies: CommandSpec = {
  name: 'lab proxies',
  summary: 'List the proxy identities issued for a system: name, certificate serial, subject, expiry and issue time.',
  options: { ...LAB, ...SYSTEM, ...JSON_OUTPUT },
  async run(args, context) {
    const issuer = await openIssuer(args, context);
    const system = await issuer.findSystem(stringOption(args, 'system'));
    const proxies = (await issuer.listProxies(system.id)).map(({ certificate: _certificate, ...rest }) => rest);
    if (flag(args, 'json')) context.print(JSON.stringify(proxies, null, 2));
    else if (proxies.length === 0) context.print(`system ${system.name} has no proxy; issue one with "provkit lab proxy"`);
    else for (const proxy of proxies) context.print(`${proxy.name}: serial ${proxy.serialHex}, ${proxy.subject}, until ${proxy.notAfter}, issued ${proxy.createdAt}`);
  },
};

const labSubmit: CommandSpec = {
  name: 'lab submit',
  summary: 'Verify Provision Requests, plain or wrapped by a proxy, and record them. In automatic mode, requests that pass are approved and, when the lab passphrase is available, their Certified Profile is issued at once.',
  positionals: 'REQUEST.mcpr...',
  positionalCount: { min: 1, max: 10_000 },
  options: {
    ...LAB,
    ...ACTOR,
    out: { type: 'string', value: 'DIR', description: 'Directory for profiles issued at once, named after each request file with .mcp (default: next to each request).' },
    force: { type: 'boolean', description: 'Replace existing profile files.' },
    ...LAB_PASSPHRASE,
    ...JSON_OUTPUT,
  },
  details: 'Exit status: 0 when every request was accepted, otherwise the status of the first failed request (see "provkit --help").',
  async run(args, context) {
    const issuer = await openIssuer(args, context);
    const actor = actorOf(args, context);
    const systems = await issuer.listSystems();
    let passphrase: string | undefined;
    if (systems.some((system) => system.approvalMode === 'automatic')) {
      passphrase = await readPassphrase(args, context, 'passphrase', 'lab passphrase', LAB_PASSPHRASE_ENV).catch((error: unknown) => {
        if (error instanceof ProvkitError && error.code === 'invalid-argument' && stringOption(args, 'passphrase-file') === undefined) return undefined;
        throw error;
      });
    }
    // Every input is read, and every profile name checked, before the first request is
    // recorded, so that a missing file or a name clash changes nothing in the lab.
    const inputs: Array<{ file: string; bytes: Uint8Array; profileFile?: string }> = [];
    for (const file of args.positionals) inputs.push({ file, bytes: await readInput(file, 'request') });
    if (passphrase !== undefined) {
      for (const input of inputs) {
        const manifest = peekManifest(issuer, input.bytes, input.file);
        const system = systems.find((candidate) => candidate.id === manifest?.systemId);
        if (manifest === undefined || system?.approvalMode !== 'automatic') continue;
        // A replayed request is reported as such and writes no profile.
        if (await issuer.store.transaction((tx) => tx.hasSeenRequestId(system.id, manifest.requestId))) continue;
        input.profileFile = path.join(stringOption(args, 'out') ?? path.dirname(input.file), `${path.basename(input.file).replace(/\.mcpr$/i, '')}.mcp`);
      }
      const profileFiles = inputs.flatMap((input) => (input.profileFile === undefined ? [] : [input.profileFile]));
      const resolved = profileFiles.map((file) => path.resolve(file));
      const clash = profileFiles.find((_file, index) => resolved.indexOf(resolved[index]!) !== index);
      if (clash !== undefined) throw new ProvkitError('invalid-argument', `two requests would write their profile to ${clash}; submit them separately or rename one request file`);
      await checkOutputs(profileFiles, flag(args, 'force'));
    }
    const unlocked = new Map<string, Awaited<ReturnType<LabIssuer['unlock']>>>();
    const results: Array<SubmitResult & { profileFile?: string }> = [];
    for (const input of inputs) {
      let ca;
      if (passphrase !== undefined && input.profileFile !== undefined) {
        const systemId = peekManifest(issuer, input.bytes, input.file)!.systemId;
        ca = unlocked.get(systemId) ?? (await issuer.unlock(systemId, passphrase));
        unlocked.set(systemId, ca);
      }
      const result: SubmitResult & { profileFile?: string } = await issuer.submitRequest(input.bytes, { file: path.basename(input.file), actor, ...(ca !== undefined ? { ca } : {}) });
      if (result.profile !== undefined && input.profileFile !== undefined) {
        result.profileFile = input.profileFile;
        await writeOutputs([{ file: result.profileFile, bytes: result.profile }], flag(args, 'force'));
      }
      results.push(result);
    }
    if (flag(args, 'json')) {
      context.print(JSON.stringify(results.map(({ profile: _profile, ...rest }) => rest), null, 2));
    } else {
      for (const result of results) {
        const head = `${result.file}: request ${result.requestId ?? '(unreadable)'} hardware id ${result.hardwareId ?? '-'}: ${result.state ?? 'not recorded'}`;
        if (result.profileFile !== undefined) context.print(`${head}, profile written to ${result.profileFile}`);
        else if (result.state === 'auto-approved') context.print(`${head}; no lab passphrase was given, so issue its profile with "provkit lab profile --request ${result.requestId}"`);
        else context.print(head);
        for (const failure of result.failures) context.print(`  ${failure.code}: ${failure.message}`);
      }
    }
    const failed = results.filter((result) => !result.ok);
    if (failed.length > 0) {
      const first = failed[0]!;
      const failure = first.failures[0]!;
      throw new CommandFailure(`${failed.length} of ${results.length} requests failed; first: ${failure.message} [${failure.code}]`, exitCodeFor(failure.code));
    }
  },
};

function peekManifest(issuer: LabIssuer, bytes: Uint8Array, file: string): { systemId: string; requestId: string } | undefined {
  try {
    const { manifest } = issuer.verifier.read(bytes, path.basename(file));
    return { systemId: manifest.systemId, requestId: manifest.requestId };
  } catch {
    return undefined;
  }
}

function stateCommand(name: string, summary: string, extra: Record<string, OptionSpec>, action: (issuer: LabIssuer, systemId: string, requestId: string, actor: string, args: CommandArguments) => Promise<unknown>): CommandSpec {
  return {
    name,
    summary,
    options: { ...LAB, ...REQUEST, ...ACTOR, ...extra, ...JSON_OUTPUT },
    async run(args, context) {
      const issuer = await openIssuer(args, context);
      const requestId = stringOption(args, 'request')!;
      const record = await issuer.findRequest(requestId);
      await action(issuer, record.systemId, requestId, actorOf(args, context), args);
      const updated = await issuer.getRequest(record.systemId, requestId);
      const state = currentState(updated.history);
      if (flag(args, 'json')) context.print(JSON.stringify({ requestId, hardwareId: updated.hardwareId, state, history: updated.history }, null, 2));
      else context.print(`request ${requestId} (hardware id ${updated.hardwareId}) is now ${state}`);
    },
  };
}

const labApprove = stateCommand('lab approve', 'Approve a request that needs approval.', {}, (issuer, systemId, requestId, actor) => issuer.approve(systemId, requestId, actor));

const labReject = stateCommand(
  'lab reject',
  'Reject a request that needs approval, with a reason recorded in its history and the report.',
  { reason: { type: 'string', value: 'TEXT', required: true, description: 'Why the request is rejected.' } },
  (issuer, systemId, requestId, actor, args) => issuer.reject(systemId, requestId, actor, requiredString(args, 'reason', 'lab reject')),
);

const labComplete = stateCommand('lab complete', 'Mark a request in Provisioning as Provisioned, once the device installed its profile.', {}, (issuer, systemId, requestId, actor) => issuer.complete(systemId, requestId, actor));

const labProfile: CommandSpec = {
  name: 'lab profile',
  summary: 'Issue the certificates and the Certified Profile (.mcp) of an approved request and write it; for a request already issued, write the same profile again.',
  options: {
    ...LAB,
    ...REQUEST,
    ...ACTOR,
    out: { type: 'string', value: 'FILE', required: true, description: 'Where to write the .mcp.' },
    force: { type: 'boolean', description: 'Replace FILE if it exists.' },
    ...LAB_PASSPHRASE,
    ...JSON_OUTPUT,
  },
  async run(args, context) {
    const issuer = await openIssuer(args, context);
    const requestId = stringOption(args, 'request')!;
    const record = await issuer.findRequest(requestId);
    const state = currentState(record.history);
    const out = stringOption(args, 'out')!;
    // Checked before the certificates are issued, so that a name clash leaves the request approved.
    await checkOutputs([out], flag(args, 'force'));
    let profile: Uint8Array;
    if ((state === 'provisioning' || state === 'provisioned') && record.profile !== undefined) {
      profile = record.profile;
    } else {
      if (state !== 'approved' && state !== 'auto-approved') {
        throw new ProvkitError('invalid-state', `request ${requestId} is ${state}; a profile is issued only for an approved request (run "provkit lab approve" first)`);
      }
      const passphrase = await readPassphrase(args, context, 'passphrase', 'lab passphrase', LAB_PASSPHRASE_ENV);
      const ca = await issuer.unlock(record.systemId, passphrase);
      profile = await issuer.issueProfile(record.systemId, requestId, { ca, actor: actorOf(args, context) });
    }
    await writeOutputs([{ file: out, bytes: profile }], flag(args, 'force'));
    const certificates = (await issuer.store.transaction((tx) => tx.listCertificates(record.systemId, requestId))).map((certificate) => ({ role: certificate.role, serial: certificate.serialHex, notAfter: certificate.notAfter }));
    if (flag(args, 'json')) context.print(JSON.stringify({ requestId, hardwareId: record.hardwareId, file: out, certificates }, null, 2));
    else context.print(`wrote ${out} for request ${requestId} (hardware id ${record.hardwareId}): ${certificates.map((certificate) => `${certificate.role} serial ${certificate.serial} until ${certificate.notAfter}`).join(', ')}`);
  },
};

const labReport: CommandSpec = {
  name: 'lab report',
  summary: 'Write the provisioning report of a system: one row per device with its state, request id, transition times, certificate serials and expiry, and rejection reason.',
  options: {
    ...LAB,
    ...SYSTEM,
    format: { type: 'string', value: 'FORMAT', description: 'csv (RFC 4180, default) or json.' },
    out: { type: 'string', value: 'FILE', description: 'Write to FILE instead of stdout.' },
    force: { type: 'boolean', description: 'Replace FILE if it exists.' },
  },
  async run(args, context) {
    const issuer = await openIssuer(args, context);
    const system = await issuer.findSystem(stringOption(args, 'system'));
    const format = oneOf(stringOption(args, 'format'), ['csv', 'json'] as const, 'format', 'csv');
    const report = await issuer.report(system.id);
    const text = format === 'csv' ? reportToCsv(report) : reportToJson(report);
    const out = stringOption(args, 'out');
    if (out === undefined) context.print(text.replace(/\r?\n$/, ''));
    else await writeOutputs([{ file: out, bytes: text }], flag(args, 'force'));
  },
};

/** The `provkit lab ...` commands. */
export const LAB_COMMANDS: CommandSpec[] = [labInit, labPackage, labProxy, labProxies, labSubmit, labApprove, labReject, labProfile, labComplete, labReport];
