/** A file as the workbench handles it: its name and its exact bytes. */
export interface NamedFile {
  name: string;
  bytes: Uint8Array;
}
