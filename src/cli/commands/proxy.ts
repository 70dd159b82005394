import path from 'node:path';
import { ProvkitError } from '../../errors.js';
import { importPrivateKey } from '../../crypto/algorithms.js';
import { bytesEqual } from '../../crypto/tlv.js';
import { decryptPrivateIdentity, publicKeyOfPkcs8, subjectPublicKeyBits } from '../../formats/identity.js';
import { OID_KP_PROXY } from '../../formats/oids.js';
import { wrapProvisionRequest, type SignerIdentity } from '../../formats/request.js';
import { parseCertificate } from '../../formats/x509.js';
import { PROXY_KEY_ROLE } from '../../issuer/issuer.js';
import { flag, stringOption, type CommandSpec } from '../command.js';
import { passphraseOptions, readInput, readPassphrase, writeOutputs } from '../io.js';
import { keyDerivation } from '../runtime.js';

const PASSPHRASE_ENV = 'PROVKIT_PASSPHRASE';

/**
 * Decrypts a proxy's .mcpi and returns the signer of key `role`. Throws ProvkitError
 * ('decrypt-failed') for a wrong passphrase, ('not-found') for a missing role, ('mismatch')
 * when the key does not belong to its certificate, and ('wrong-usage') when the certificate
 * lacks the proxy usage BASE.10.4.
 */
async function proxySigner(bytes: Uint8Array, passphrase: string, role: string, file: string): Promise<SignerIdentity> {
  const identity = await decryptPrivateIdentity(bytes, passphrase, { kdf: await keyDerivation(), file });
  if (identity.kind !== 'mcpi') {
    throw new ProvkitError('wrong-type', `the file is a ${identity.kind} container; a proxy signs with a final Private Identity (.mcpi)`, { file, field: 'kind' });
  }
  const key = identity.keys.find((candidate) => candidate.role === role);
  if (key === undefined) {
    throw new ProvkitError('not-found', `the identity has no key role "${role}"; its roles are ${identity.keys.map((candidate) => candidate.role).join(', ')}`, { file, field: 'keys' });
  }
  if (key.certificate === undefined) {
    throw new ProvkitError('invalid-state', `key role "${role}" has no certificate yet; install its Certified Profile first`, { file, field: `keys.${role}.certificate` });
  }
  const certificate = parseCertificate(key.certificate, { file, field: `keys.${role}.certificate` });
  if (!bytesEqual(subjectPublicKeyBits(await publicKeyOfPkcs8(key, { file, field: `keys.${role}.pkcs8` }), 'spki'), subjectPublicKeyBits(certificate.der, 'certificate'))) {
    throw new ProvkitError('mismatch', `the private key of role "${role}" does not belong to its certificate "${certificate.subjectName}"`, { file, field: `keys.${role}` });
  }
  // Checked here so that the operator learns at once, not after the issuer rejected the file.
  if (!(certificate.extendedKeyUsage ?? []).includes(OID_KP_PROXY)) {
    throw new ProvkitError('wrong-usage', `the certificate "${certificate.subjectName}" of role "${role}" lacks the provkit proxy extended key usage (${OID_KP_PROXY}); issue a proxy identity with "provkit lab proxy"`, { file, field: `keys.${role}.certificate` });
  }
  const { privateKey, algorithm } = await importPrivateKey(key.pkcs8, { file, field: `keys.${role}.pkcs8` }, key.algorithm);
  const chain = (key.chain ?? []).map((der, index) => parseCertificate(der, { file, field: `keys.${role}.chain[${index}]` }));
  return { certificate, privateKey, algorithm, chain };
}

const proxyWrap: CommandSpec = {
  name: 'proxy wrap',
  summary: "Wrap a device's Provision Request (.mcpr) in a proxied request signed by a proxy identity. The device's file is carried byte for byte, the proxy identity is a .mcpi from \"provkit lab proxy\", and the issuer verifies both signatures.",
  positionals: 'REQUEST.mcpr',
  positionalCount: { min: 1, max: 1 },
  options: {
    identity: { type: 'string', value: 'FILE', required: true, description: 'The proxy .mcpi.' },
    role: { type: 'string', value: 'ROLE', description: `Key role in the .mcpi that signs (default ${PROXY_KEY_ROLE}).` },
    out: { type: 'string', value: 'FILE', required: true, description: 'Where to write the proxied .mcpr.' },
    force: { type: 'boolean', description: 'Replace FILE if it exists.' },
    ...passphraseOptions('passphrase', 'passphrase of the proxy .mcpi', PASSPHRASE_ENV),
  },
  async run(args, context) {
    const requestFile = args.positionals[0]!;
    const identityFile = stringOption(args, 'identity')!;
    const request = await readInput(requestFile, 'request');
    const identity = await readInput(identityFile, 'proxy identity');
    const passphrase = await readPassphrase(args, context, 'passphrase', 'passphrase', PASSPHRASE_ENV);
    const signer = await proxySigner(identity, passphrase, stringOption(args, 'role') ?? PROXY_KEY_ROLE, path.basename(identityFile));
    const wrapped = await wrapProvisionRequest(request, signer, { signingTime: context.now(), file: path.basename(requestFile) });
    const out = stringOption(args, 'out')!;
    await writeOutputs([{ file: out, bytes: wrapped }], flag(args, 'force'));
    context.print(`wrote ${out}: ${path.basename(requestFile)} wrapped by proxy "${signer.certificate.subjectName}" (serial ${signer.certificate.serialHex})`);
  },
};

/** The `provkit proxy ...` commands, run on the proxy device. */
export const PROXY_COMMANDS: CommandSpec[] = [proxyWrap];
