import {input, select} from '@inquirer/prompts'
import fg from 'fast-glob'
import path from 'node:path'

import {relativeToRoot, type Workspace} from '../workspace/workspace.js'
import {validateName} from './naming.js'

/** `exp new` with no NAME on a terminal: ask for the name, the base config and the hypothesis. */
export async function askNewExperiment(ws: Workspace, given: {from?: string; hypothesis?: string}): Promise<{name: string; from?: string; hypothesis?: string}> {
  const name = await input({
    message: 'Experiment name',
    validate(value) {
      try {
        validateName(value.trim())
        return true
      } catch (error) {
        return (error as Error).message
      }
    },
  })
  let from = given.from
  if (!from) {
    const configs = (await fg('*.{yaml,yml}', {cwd: ws.paths.configs})).sort()
    const base = path.resolve(ws.root, ws.settings.base_config)
    if (configs.length > 0) {
      const choices = configs.map((c) => ({name: c, value: path.join(ws.paths.configs, c)}))
      from = await select({choices, default: choices.find((c) => c.value === base)?.value, message: 'Base config'})
      from = relativeToRoot(ws, from)
    }
  }
  const hypothesis = given.hypothesis ?? ((await input({message: 'Hypothesis (optional)'})).trim() || undefined)
  return {from, hypothesis, name: name.trim()}
}
