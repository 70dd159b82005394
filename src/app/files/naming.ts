import { ProvkitError } from '../../errors.js';

/**
 * File names the workbench writes: `<hardwareId>.<ext>`, for example `SN-0042.mcpr`,
 * `SN-0042.mcp` and `SN-0042.mcpi`, so a device and the issuer find their file by hardware id.
 * Characters outside `A-Z a-z 0-9 . _ -` are replaced by `_` so the name is valid on every
 * file system; the hardware id inside the file stays authoritative.
 */
export type ProvkitExtension = 'mcts' | 'mcpr' | 'mcpp' | 'mcp' | 'mcpip' | 'mcpi';

/** Every provkit file extension. */
export const PROVKIT_EXTENSIONS: readonly ProvkitExtension[] = ['mcts', 'mcpr', 'mcpp', 'mcp', 'mcpip', 'mcpi'];

const UNSAFE = /[^A-Za-z0-9._-]/g;

/** Returns `<hardwareId>.<ext>` with unsafe characters replaced; throws ProvkitError('invalid-argument') for an empty id. */
export function fileNameFor(hardwareId: string, extension: ProvkitExtension | 'zip' | 'csv' | 'json'): string {
  return `${safeStem(hardwareId)}.${extension}`;
}

/** Returns `text` as a file-name stem valid everywhere; throws ProvkitError('invalid-argument') when empty. */
export function safeStem(text: string): string {
  const safe = text.trim().replace(UNSAFE, '_').replace(/^\.+/, '_');
  if (safe === '') throw new ProvkitError('invalid-argument', 'a file name needs a hardware id or name, and this one is empty');
  return safe;
}

/** Returns the extension of a file name in lower case, without the dot ('' when it has none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** Returns the name without its directory part (zip entries carry paths). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Returns the timestamped name of a batch archive: `provkit-<what>-20260101-1200.zip`. */
export function batchName(what: string, extension: string, at = new Date()): string {
  const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `provkit-${what}-${stamp}.${extension}`;
}
