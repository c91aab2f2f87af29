import {promises as fs} from 'node:fs'
import path from 'node:path'

import {writeFileIfAbsent} from '../lib/atomic.js'
import {GOLDEN_CONFIG} from '../lib/package.js'
import {WORKSPACE_FILE} from './workspace.js'

export const SETTINGS_TEMPLATE = `# exp workspace settings (the exp README, section "exp.yaml", explains every key).
# Every key is optional; the values below are the defaults.
version: 1
paths:
  experiments: experiments          # one dated folder per experiment
  archive: experiments-archive      # finished experiments, moved here by \`exp archive\`
  configs: configs                  # production configs (\`exp promote\` writes here)
  reports: reports                  # workspace-level reports and the leaderboard
# The config \`exp new\` copies when no --from is given.
base_config: configs/train_burgers_golden.yaml
classification:
  stale_days: 30                    # no verdict and nothing changed for this many days: stale
promote:
  metric: final_nrmse
  direction: min                    # min: lower is better; max: higher is better
  leaderboard: reports/leaderboard.csv
# Your own engines, as argument lists (never shell strings). Without this section exp runs its embedded
# Burgers engine. Placeholders: {config} {experiment_dir} {experiment} {run_dir} {checkpoint_dir} {report} {run_id}
# engines:
#   train:    [python3, train.py, --config, "{config}", --out, "{checkpoint_dir}"]
#   evaluate: [python3, evaluate.py, --config, "{config}", --checkpoint, "{checkpoint_dir}", --report, "{report}"]
# Gates exp applies when a report has no gates_passed of its own:
# gates:
#   final_nrmse: {max: 0.15}
`

const FOLDER_READMES: Record<'experiments' | 'archive' | 'configs' | 'reports', string> = {
  archive:
    '# Archived experiments\n\nFinished experiments moved here by `exp archive`, each with a `metadata.json` that records its status, reason and\nwhen it was archived. `exp restore NAME` moves one back. Nothing here is ever deleted by exp.\n',
  configs:
    "# Production configs\n\nThe configs everybody uses. `exp promote` copies an experiment's config here (as `train_<name>.yaml`) once it\npassed its gates; previous versions are kept under `.history/`. The golden config is the base of `exp new`.\n",
  experiments:
    '# Experiments\n\nOne folder per experiment, `YYYY-MM-DD-name/`, made by `exp new`: `config.yaml`, `notes.md`, `metadata.json`,\nthen `runs/`, `checkpoints/` and `reports/` once launched. `exp list` says where each one stands and why.\n',
  reports:
    '# Reports\n\nWorkspace-level reports. A JSON report belongs to an experiment when its `experiment` field names it, or its file\nname is the experiment folder name or ends in `_<folder name>`. `leaderboard.csv` is kept by `exp promote`.\n',
}

export function gitignoreLines(paths: {experiments: string; archive: string}): string[] {
  const lines = [
    "# exp: keep each experiment's record (config.yaml, notes.md, metadata.json, reports) in git, not its artifacts",
    '.exp/',
    'exp.local.yaml',
  ]
  for (const base of [paths.experiments, paths.archive]) {
    lines.push(`${base}/*/checkpoints/`, `${base}/*/artifacts/`, `${base}/*/runs/*/*.log`)
  }
  lines.push('*.ckpt', '*.pt', '*.pth', '*.safetensors')
  return lines
}

export interface InitResult {
  root: string
  created: string[]
  kept: string[]
}

/** Make `dir` a workspace. Idempotent: existing files are kept as they are, missing ones are added. */
export async function initWorkspace(dir: string): Promise<InitResult> {
  const root = path.resolve(dir)
  const result: InitResult = {created: [], kept: [], root}
  const record = (rel: string, created: boolean) => (created ? result.created : result.kept).push(rel)
  await fs.mkdir(root, {recursive: true})

  record(WORKSPACE_FILE, await writeFileIfAbsent(path.join(root, WORKSPACE_FILE), SETTINGS_TEMPLATE))
  const names = {
    archive: 'experiments-archive',
    configs: 'configs',
    experiments: 'experiments',
    reports: 'reports',
  } as const
  for (const [key, folder] of Object.entries(names) as Array<[keyof typeof names, string]>) {
    await fs.mkdir(path.join(root, folder), {recursive: true})
    record(`${folder}/README.md`, await writeFileIfAbsent(path.join(root, folder, 'README.md'), FOLDER_READMES[key]))
  }
  const golden = await fs.readFile(GOLDEN_CONFIG, 'utf8')
  record(
    'configs/train_burgers_golden.yaml',
    await writeFileIfAbsent(path.join(root, 'configs', 'train_burgers_golden.yaml'), golden),
  )

  const gitignore = path.join(root, '.gitignore')
  const existing = await fs.readFile(gitignore, 'utf8').catch(() => '')
  const have = new Set(existing.split(/\r?\n/).map((l) => l.trim()))
  const missing = gitignoreLines(names).filter((l) => !have.has(l))
  if (missing.length > 0) {
    const prefix = existing && !existing.endsWith('\n') ? '\n' : ''
    await fs.appendFile(gitignore, prefix + missing.join('\n') + '\n')
    record('.gitignore', true)
  } else {
    record('.gitignore', false)
  }
  return result
}
