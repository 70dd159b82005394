import { downloadFile, readFiles, saveToFolder } from './io.js';
import { filePreferences } from './preferences.js';
import type { NamedFile } from './named-file.js';
import { zipFiles } from './zip.js';

/**
 * A way to move provkit files between the workbench and a device or the issuer. The file
 * transport (picker, drop, downloads) is the one implemented; Web Serial and WebUSB
 * transports implement the same interface.
 */
export interface Transport {
  /** Stable identifier, for example `file`, `serial`, `usb`. */
  readonly id: string;
  /** Name shown to the technician. */
  readonly label: string;
  /** True when this browser can use the transport. */
  available(): boolean;
  /** Hands files over; a transport that can only send one file at a time may send them in turn. */
  send(files: readonly NamedFile[], options?: { archiveName?: string; signal?: AbortSignal }): Promise<void>;
  /** Receives files the user or the device provides. */
  receive(source: FileList | File[]): Promise<NamedFile[]>;
}

/**
 * Files through the browser: reads what the technician picks or drops. Writes one download
 * per file, or a single .zip when an archive name is given. When the technician chose it in
 * Settings, writes the files into a picked folder instead.
 */
export class FileTransport implements Transport {
  readonly id = 'file';
  readonly label = 'Files';

  available(): boolean {
    return true;
  }

  async send(files: readonly NamedFile[], options: { archiveName?: string; signal?: AbortSignal } = {}): Promise<void> {
    // With the preference set, a folder picker comes first and downloads only if it is refused.
    if (filePreferences.preferFolder && (await saveToFolder(files))) return;
    if (options.archiveName !== undefined) {
      downloadFile({ name: options.archiveName, bytes: zipFiles(files) }, 'application/zip');
      return;
    }
    for (const file of files) {
      options.signal?.throwIfAborted();
      downloadFile(file);
    }
  }

  receive(source: FileList | File[]): Promise<NamedFile[]> {
    return readFiles(source);
  }
}

/** The workbench's file transport. */
export const fileTransport = new FileTransport();
