import { ProvkitError } from '../../errors.js';
import { detectFileType } from '../../formats/detect.js';
import { checkProvisioningPackage } from '../../provisioning/package-check.js';
import { readProfileToProvision } from '../../formats/profile.js';
import type { PackageRecord } from '../../storage/records.js';
import { readFiles } from '../files/io.js';
import { expandArchives } from '../files/zip.js';
import type { NamedFile } from '../files/named-file.js';
import { pageKdf } from './crypto.js';
import { appLogger, workbenchStore } from './workbench.js';

const log = appLogger.child('packages');

/** The three files of a provisioning package, picked from what the technician dropped. */
export interface PackageFiles {
  mcts: NamedFile;
  mcpp: NamedFile;
  mcpip: NamedFile;
}

/**
 * Finds the TrustStore, profile and private identity among dropped files (archives expanded),
 * by content rather than by name. Throws ProvkitError('invalid-argument') naming what is
 * missing or doubled, and ('wrong-type') for a file that belongs to no package.
 */
export function pickPackageFiles(files: readonly NamedFile[]): PackageFiles {
  const found: Partial<Record<'mcts' | 'mcpp' | 'mcpip', NamedFile>> = {};
  for (const file of files) {
    const type = detectFileType(file.bytes, file.name);
    if (type !== 'mcts' && type !== 'mcpp' && type !== 'mcpip') {
      throw new ProvkitError('wrong-type', `this file is not part of a provisioning package (detected: ${type}); a package is a .mcts, a .mcpp and a .mcpip`, { file: file.name });
    }
    if (found[type] !== undefined) throw new ProvkitError('invalid-argument', `two .${type} files (${found[type]!.name} and ${file.name}); import one package at a time`);
    found[type] = file;
  }
  const missing = (['mcts', 'mcpp', 'mcpip'] as const).filter((type) => found[type] === undefined);
  if (missing.length > 0) {
    throw new ProvkitError('invalid-argument', `the package is incomplete: missing ${missing.map((m) => `.${m}`).join(', ')}; choose all three files or the package .zip`);
  }
  return found as PackageFiles;
}

/**
 * The Packages screen: imports a provisioning package after the device-side package check,
 * and keeps the three files with the .mcpip still encrypted. The check opens the .mcpip with
 * the package passphrase, which is not stored.
 */
export class PackagesState {
  packages = $state.raw<PackageRecord[]>([]);
  pending = $state.raw<PackageFiles | undefined>(undefined);
  busy = $state(false);

  /** Reads the stored packages. */
  async load(): Promise<void> {
    this.packages = await (await workbenchStore()).listPackages();
  }

  /** Reads dropped files and keeps them until the passphrase is entered. */
  async choose(files: File[]): Promise<void> {
    this.pending = undefined;
    this.pending = pickPackageFiles(expandArchives(await readFiles(files)));
  }

  /** Forgets the chosen files. */
  discard(): void {
    this.pending = undefined;
  }

  /**
   * Checks the chosen package with its passphrase and stores it. A package whose check fails
   * is not stored; throws ProvkitError with the first problem's code, listing all of them.
   */
  async importPending(passphrase: string): Promise<PackageRecord> {
    const files = this.pending;
    if (files === undefined) throw new ProvkitError('invalid-argument', 'choose the package files first');
    this.busy = true;
    try {
      const result = await checkProvisioningPackage(
        { trustStore: files.mcts.bytes, profile: files.mcpp.bytes, identity: files.mcpip.bytes, names: { trustStore: files.mcts.name, profile: files.mcpp.name, identity: files.mcpip.name } },
        { passphrase, kdf: pageKdf() },
      );
      if (!result.ok || result.session === undefined) {
        const first = result.problems[0];
        throw new ProvkitError(first?.code ?? 'malformed', `the package check failed: ${result.problems.map((p) => p.message).join('; ')}`);
      }
      const session = result.session;
      const provisioning = session.signer.certificate;
      const record: PackageRecord = {
        id: `${session.systemId}/${session.componentHandle}`,
        systemId: session.systemId,
        componentHandle: session.componentHandle,
        importedAt: new Date().toISOString(),
        mcts: files.mcts.bytes,
        mcpp: files.mcpp.bytes,
        mcpip: files.mcpip.bytes,
        roles: session.keyRoles.map((r) => ({ role: r.role, algorithm: r.algorithm })),
        notBefore: provisioning.notBefore.toISOString(),
        notAfter: provisioning.notAfter.toISOString(),
        check: { ok: true, failures: [], warnings: result.warnings },
      };
      const systemName = readProfileToProvision(files.mcpp.bytes, { file: files.mcpp.name }).manifest.systemName;
      if (systemName !== undefined) record.systemName = systemName;
      await (await workbenchStore()).putPackage(record);
      log.info('package imported', { package: record.id, roles: record.roles.length, notAfter: record.notAfter ?? '' });
      this.pending = undefined;
      await this.load();
      return record;
    } finally {
      this.busy = false;
    }
  }

  /** Deletes a stored package (requests made from it stay queued). */
  async remove(id: string): Promise<void> {
    await (await workbenchStore()).deletePackage(id);
    log.info('package deleted', { package: id });
    await this.load();
  }
}
