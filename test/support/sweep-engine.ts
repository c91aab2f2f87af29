import {promises as fs} from 'node:fs'
import path from 'node:path'

/**
 * A tiny engine for sweep tests: `train CHECKPOINT_DIR` fails (exit 1) when the variant's config.yaml says
 * `fail: true`, else sleeps $ENGINE_SLEEP seconds and writes a checkpoint; `evaluate CHECKPOINT_DIR REPORT` writes a
 * passing report.
 */
export const SWEEP_ENGINE = `import json, os, sys, time
mode = sys.argv[1]
cfg = open('config.yaml').read()
time.sleep(float(os.environ.get('ENGINE_SLEEP', '0')))
if mode == 'train':
    if 'fail: true' in cfg:
        print('engine: failing on purpose', flush=True)
        sys.exit(1)
    os.makedirs(sys.argv[2], exist_ok=True)
    open(os.path.join(sys.argv[2], 'model.bin'), 'w').write('m')
else:
    os.makedirs(os.path.dirname(sys.argv[3]), exist_ok=True)
    json.dump({'gates_passed': True, 'final_nrmse': 0.1}, open(sys.argv[3], 'w'))
`

export const SWEEP_ENGINES_YAML = [
  'engines:',
  '  train: ["{python}", "{workspace}/sweep_engine.py", train, "{checkpoint_dir}"]',
  '  evaluate: ["{python}", "{workspace}/sweep_engine.py", evaluate, "{checkpoint_dir}", "{report}"]',
  '',
].join('\n')

export async function installSweepEngine(ws: string, extraYaml = ''): Promise<void> {
  await fs.writeFile(path.join(ws, 'sweep_engine.py'), SWEEP_ENGINE)
  await fs.appendFile(path.join(ws, 'exp.yaml'), SWEEP_ENGINES_YAML + extraYaml)
}
