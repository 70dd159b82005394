import { ProvkitError } from '../../errors.js';
import type { NamedFile } from './named-file.js';

/** Largest single file the workbench reads (provkit files are kilobytes; archives and backups are larger). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** Reads browser File objects into named byte arrays. Throws ProvkitError('oversized') beyond {@link MAX_INPUT_BYTES}. */
export async function readFiles(files: Iterable<File>): Promise<NamedFile[]> {
  const out: NamedFile[] = [];
  for (const file of files) {
    if (file.size > MAX_INPUT_BYTES) {
      throw new ProvkitError('oversized', `the file is ${file.size} bytes, above the ${MAX_INPUT_BYTES / 1024 / 1024} MiB limit; check that it is the right file`, { file: file.name });
    }
    out.push({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
  }
  return out;
}

/** Returns the files of a drop event (files only; dropped text is ignored). */
export function droppedFiles(event: DragEvent): File[] {
  return [...(event.dataTransfer?.files ?? [])];
}

/**
 * Offers bytes as a download through an `<a download>` link, which every browser supports.
 * The object URL is revoked after the click has been handled.
 */
export function downloadFile(file: NamedFile, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.name;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

interface DirectoryPickerWindow {
  showDirectoryPicker?: (options?: { mode?: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
}

/** Returns true when the browser offers the File System Access API's directory picker (Chromium). */
export function canSaveToFolder(): boolean {
  return typeof (window as unknown as DirectoryPickerWindow).showDirectoryPicker === 'function';
}

/**
 * Writes files into a folder the technician picks (a USB stick, a transfer share), with the
 * File System Access API. Returns false when the technician cancelled the picker or the
 * browser refused it (Chromium under automation rejects it with AbortError); the caller then
 * offers downloads.
 */
export async function saveToFolder(files: readonly NamedFile[]): Promise<boolean> {
  const picker = (window as unknown as DirectoryPickerWindow).showDirectoryPicker;
  if (picker === undefined) return false;
  let directory: FileSystemDirectoryHandle;
  try {
    directory = await picker.call(window, { mode: 'readwrite' });
  } catch (error) {
    if (error instanceof DOMException && (error.name === 'AbortError' || error.name === 'SecurityError')) return false;
    throw error;
  }
  for (const file of files) {
    const handle = await directory.getFileHandle(file.name, { create: true });
    const writable = await handle.createWritable();
    await writable.write(file.bytes as BufferSource);
    await writable.close();
  }
  return true;
}
