/** File output preferences, read by the file transport and set on the Settings screen. */
export const filePreferences = {
  /** Offer a folder picker (File System Access API) before falling back to downloads. */
  preferFolder: false,
};

/** Settings key under which the preference is stored. */
export const PREFER_FOLDER_KEY = 'files.preferFolder';
