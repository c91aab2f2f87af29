import {existsSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * Is an API key configured, in the order vastai itself looks (contract §5)? Only the presence of the variable or
 * the file is checked: exp never reads the key's value.
 */
export function apiKeySource(env: NodeJS.ProcessEnv): string | undefined {
  if (env.VAST_API_KEY !== undefined) return env.VAST_API_KEY.trim() === '' ? undefined : 'VAST_API_KEY'
  const home = env.HOME || os.homedir()
  const xdg =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config')
  for (const file of [
    path.join(xdg, 'vastai', 'vast_tfa_key'),
    path.join(xdg, 'vastai', 'vast_api_key'),
    path.join(home, '.vast_api_key'),
  ]) {
    try {
      if (existsSync(file) && statSync(file).size > 0) return file
    } catch {
      // unreadable: not a usable key
    }
  }
  return undefined
}
