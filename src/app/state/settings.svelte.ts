import { ProvkitError } from '../../errors.js';
import { createBackup, readBackupHeader, restoreBackup, BACKUP_EXTENSION, type BackupHeader } from '../../storage/backup.js';
import { requestPersistence } from '../../storage/persistence.js';
import { canSaveToFolder, readFiles } from '../files/io.js';
import { fileTransport } from '../files/transport.js';
import { filePreferences, PREFER_FOLDER_KEY } from '../files/preferences.js';
import { batchName } from '../files/naming.js';
import type { NamedFile } from '../files/named-file.js';
import { pageKdf } from './crypto.js';
import { appStatus } from './status.svelte.js';
import { appLogger, flushLog, workbenchStore } from './workbench.js';

const log = appLogger.child('backup');

/**
 * The Settings screen: encrypted backup and restore of the whole workbench (to move the
 * queue to another laptop) and the storage persistence request.
 */
export class SettingsState {
  busy = $state(false);
  restoreFile = $state.raw<NamedFile | undefined>(undefined);
  restoreHeader = $state.raw<BackupHeader | undefined>(undefined);
  preferFolder = $state(filePreferences.preferFolder);
  /** True when this browser has the File System Access API's folder picker. */
  readonly folderPickerAvailable = canSaveToFolder();

  /** Stores whether exports go into a picked folder instead of downloads. */
  async setPreferFolder(value: boolean): Promise<void> {
    filePreferences.preferFolder = value;
    this.preferFolder = value;
    await (await workbenchStore()).setMeta(PREFER_FOLDER_KEY, value);
  }

  /**
   * Downloads an encrypted backup of every store. Throws ProvkitError('invalid-argument')
   * when the passphrase is empty or the confirmation differs.
   */
  async backup(passphrase: string, confirmation: string): Promise<string> {
    if (passphrase.length < 8) throw new ProvkitError('invalid-argument', 'the backup passphrase needs at least 8 characters');
    if (passphrase !== confirmation) throw new ProvkitError('invalid-argument', 'the two passphrases differ; type the same passphrase twice');
    this.busy = true;
    try {
      await flushLog();
      const store = await workbenchStore();
      const bytes = await createBackup(store.db, passphrase, { kdf: pageKdf() });
      const name = batchName('backup', BACKUP_EXTENSION);
      await fileTransport.send([{ name, bytes }]);
      log.info('backup written', { file: name, bytes: bytes.length });
      return name;
    } finally {
      this.busy = false;
    }
  }

  /** Reads a backup file and shows its header (date and record counts) before anything is replaced. */
  async chooseRestoreFile(files: File[]): Promise<void> {
    this.restoreFile = undefined;
    this.restoreHeader = undefined;
    const [file] = await readFiles(files.slice(0, 1));
    if (file === undefined) return;
    this.restoreHeader = readBackupHeader(file.bytes, file.name).header;
    this.restoreFile = file;
  }

  /**
   * Replaces everything stored with the chosen backup. Throws ProvkitError('decrypt-failed')
   * for a wrong passphrase; nothing changes then.
   */
  async restore(passphrase: string): Promise<BackupHeader> {
    const file = this.restoreFile;
    if (file === undefined) throw new ProvkitError('invalid-argument', 'choose a backup file first');
    this.busy = true;
    try {
      await flushLog();
      const store = await workbenchStore();
      const header = await restoreBackup(store.db, file.bytes, passphrase, { kdf: pageKdf(), file: file.name });
      log.info('backup restored', { file: file.name, created: header.createdAt });
      this.restoreFile = undefined;
      this.restoreHeader = undefined;
      return header;
    } finally {
      this.busy = false;
    }
  }

  /** Asks the browser again for persistent storage and updates the status bar. */
  async askPersistence(): Promise<void> {
    appStatus.persistence = await requestPersistence();
    await appStatus.refreshEstimate();
  }
}
