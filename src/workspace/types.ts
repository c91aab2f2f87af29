import type {Settings} from './settings.js'

/** A found, validated workspace: its root, its settings and the absolute paths every service uses. */
export interface Workspace {
  root: string
  file: string
  settings: Settings
  paths: {
    experiments: string
    archive: string
    configs: string
    reports: string
    state: string
    lock: string
    journal: string
  }
}
