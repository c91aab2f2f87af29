/** The names of the files and folders inside an experiment that carry meaning (the scan, services and records share them). */
export const CONFIG_FILE = 'config.yaml'
export const NOTES_FILE = 'notes.md'
export const METADATA_FILE = 'metadata.json'
export const REPORTS_DIR = 'reports'
