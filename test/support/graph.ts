import assert from 'node:assert/strict'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import {exp, tempWorkspace} from './exp.js'

/** Work-graph test helpers: a workspace with small `python3 -c` engines, and the graph file written and read as JSON. */

/**
 * Engines that record each run in `{workspace}/times/<experiment>.log` ("start <t>" … "end <t>"), sleep a little,
 * make the checkpoint folder (train) or write the report (evaluate). A config with `fail: true` fails the train.
 */
const TRAIN = [
  'import os, sys, time, random',
  'ws, name, out, cfg = sys.argv[1:5]',
  'log = os.path.join(ws, "times", name + ".log")',
  'os.makedirs(os.path.dirname(log), exist_ok=True)',
  'open(log, "a").write("start %.6f\\n" % time.time())',
  'time.sleep(float(os.environ.get("ENGINE_SLEEP", "0")) or random.uniform(0.02, 0.15))',
  'os.makedirs(out, exist_ok=True)',
  'open(os.path.join(out, "weights"), "w").write(name)',
  'open(log, "a").write("end %.6f\\n" % time.time())',
  'sys.exit(3 if "fail: true" in open(cfg).read() else 0)',
].join('\n')

const EVALUATE = [
  'import json, os, sys',
  'ckpt, report = sys.argv[1:3]',
  'os.makedirs(os.path.dirname(report), exist_ok=True)',
  'json.dump(dict(gates_passed=True, checkpoint=ckpt, final_nrmse=0.05), open(report, "w"))',
].join('\n')

export function enginesYaml(): string {
  const list = (items: string[]) => `[${items.map((i) => JSON.stringify(i)).join(', ')}]`
  return [
    'engines:',
    `  train: ${list(['python3', '-c', TRAIN, '{workspace}', '{experiment}', '{checkpoint_dir}', '{config}'])}`,
    `  evaluate: ${list(['python3', '-c', EVALUATE, '{checkpoint_dir}', '{report}'])}`,
    '',
  ].join('\n')
}

/** A workspace made by `exp init`, with the recording engines above. */
export async function graphWorkspace(): Promise<string> {
  const ws = await tempWorkspace()
  await fs.appendFile(path.join(ws, 'exp.yaml'), `\n${enginesYaml()}`)
  return ws
}

export const graphPath = (ws: string) => path.join(ws, 'work_graph.json')

export async function writeGraph(ws: string, graph: unknown): Promise<void> {
  await fs.writeFile(graphPath(ws), typeof graph === 'string' ? graph : JSON.stringify(graph, null, 2))
}

export async function readGraph(ws: string): Promise<any> {
  return JSON.parse(await fs.readFile(graphPath(ws), 'utf8'))
}

/** A node in the team's format. */
export function node(
  id: string,
  action: string,
  dependsOn: string[] = [],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const key = {eval: 'eval_config', finetune: 'experiment_config', train: 'train_config'}[action]
  return {id, action, depends_on: dependsOn, status: 'not_started', spec: key ? {[key]: {seed: 1}} : {}, ...extra}
}

export function graphOf(
  nodes: Array<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {version: 1, updated_utc: 1732900000.25, nodes: Object.fromEntries(nodes.map((n) => [n.id, n])), ...extra}
}

/** start/end times each experiment's engine recorded: {name: [{start, end}, …]} */
export async function engineTimes(ws: string): Promise<Record<string, Array<{start: number; end?: number}>>> {
  const dir = path.join(ws, 'times')
  const out: Record<string, Array<{start: number; end?: number}>> = {}
  for (const file of await fs.readdir(dir).catch(() => [] as string[])) {
    const runs: Array<{start: number; end?: number}> = []
    for (const line of (await fs.readFile(path.join(dir, file), 'utf8')).split('\n').filter(Boolean)) {
      const [what, t] = line.split(' ')
      if (what === 'start') runs.push({start: Number(t)})
      else runs.at(-1)!.end = Number(t)
    }
    out[file.replace(/\.log$/, '').replace(/^\d{4}-\d{2}-\d{2}-/, '')] = runs
  }
  return out
}

export const graphCmd = (ws: string, args: string[], timeout = 120_000) => exp(['graph', ...args], {cwd: ws, timeout})

/** Every node ran once, after its dependencies ended, and ends completed with a complete history. */
export function assertRanOnceInOrder(
  nodes: Array<Record<string, unknown>>,
  times: Record<string, Array<{start: number; end?: number}>>,
  g: any,
): void {
  for (const n of nodes) {
    const id = n.id as string
    assert.equal(times[id]?.length, 1, `${id} ran ${times[id]?.length ?? 0} times`)
    for (const dep of n.depends_on as string[])
      assert.ok(times[id][0].start >= times[dep][0].end!, `${id} started before ${dep} ended`)
    assert.equal(g.nodes[id].status, 'completed', id)
    assert.deepEqual(
      g.nodes[id].history.map((h: any) => h.to),
      ['in_progress', 'completed'],
      `${id} history`,
    )
  }
}
