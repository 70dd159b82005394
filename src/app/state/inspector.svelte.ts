import { readTrustStore } from '../../formats/truststore.js';
import type { PackageRecord } from '../../storage/records.js';
import { inspectFile, type Anchors, type Inspection } from '../inspect/describe.js';
import { readFiles } from '../files/io.js';
import { expandArchives } from '../files/zip.js';
import { appLogger, workbenchStore } from './workbench.js';

const log = appLogger.child('inspector');

/**
 * The Inspector screen: decodes dropped files and verifies them against a TrustStore chosen
 * from the stored packages or dropped as a .mcts (the latest dropped TrustStore is used).
 * Inspecting stores nothing.
 */
export class InspectorState {
  inspections = $state.raw<Inspection[]>([]);
  packages = $state.raw<PackageRecord[]>([]);
  /** `none`, `dropped`, or `package:<id>`. */
  anchorChoice = $state('none');
  droppedTrustStore = $state.raw<Anchors | undefined>(undefined);
  busy = $state(false);

  /** Lists the stored packages whose TrustStores can serve as anchors. */
  async load(): Promise<void> {
    this.packages = await (await workbenchStore()).listPackages();
    if (this.anchorChoice === 'none' && this.packages.length > 0) this.anchorChoice = `package:${this.packages[0]!.id}`;
  }

  /** Returns the anchors of the current choice. */
  anchors(): Anchors | undefined {
    if (this.anchorChoice === 'dropped') return this.droppedTrustStore;
    if (this.anchorChoice.startsWith('package:')) {
      const record = this.packages.find((p) => `package:${p.id}` === this.anchorChoice);
      if (record === undefined) return undefined;
      const store = readTrustStore(record.mcts, { file: `${record.id} TrustStore` });
      return { certificates: store.certificates, source: `TrustStore of ${record.systemName ?? record.systemId} / ${record.componentHandle}` };
    }
    return undefined;
  }

  /**
   * Inspects the files (archives are expanded). A valid .mcts among them becomes the
   * dropped TrustStore and is selected for the files after it.
   */
  async inspect(files: File[]): Promise<void> {
    this.busy = true;
    try {
      const named = expandArchives(await readFiles(files));
      const results: Inspection[] = [];
      for (const file of named) {
        const inspection = await inspectFile(file, this.anchors());
        if (inspection.type === 'mcts' && inspection.error === undefined) {
          this.droppedTrustStore = { certificates: readTrustStore(file.bytes, { file: file.name }).certificates, source: `TrustStore ${file.name}` };
          this.anchorChoice = 'dropped';
        }
        log.info('file inspected', { file: file.name, type: inspection.type, ok: inspection.verification?.ok ?? inspection.error === undefined });
        results.push(inspection);
      }
      this.inspections = [...results.reverse(), ...this.inspections].slice(0, 50);
    } finally {
      this.busy = false;
    }
  }

  /** Removes every shown inspection. */
  clear(): void {
    this.inspections = [];
  }
}
