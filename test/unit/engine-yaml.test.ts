import assert from 'node:assert/strict'
import {execa} from 'execa'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'yaml'

import {applyOverrides, parseConfigText, parseOverride} from '../../src/config/config-file.js'
import {requireTool, ROOT} from '../support/exp.js'

const LONG = 'a plain sentence that is long enough for the writer to fold it over more than one line of the file'

/** Every value shape `exp new --set` can give (the writer's block lists, maps in lists, quoting, folding, block scalars). */
const SETS = [
  'model.extra=[1,2]',
  'model.empty=[]',
  'model.none={}',
  'model.map={a: 1, b: [x, "y z"], c: {d: null}}',
  'model.pairs=[{a: 1, b: 2}, {c: [3, 4]}]',
  'model.nested=[[1, 2], [3], []]',
  'model.flags=[true, false, null, ~]',
  'model.numbers=[0x1f, 0o17, 1e-3, -2, .5, 7.0]',
  'model.word="yes"',
  'model.numeric_string="1.0"',
  `model.long=${LONG}`,
  `model.long_quoted="${LONG} with \\"quotes\\" and a # sign"`,
  'model.two_lines="line one\\nline two"',
  'model.trailing="ends with a newline\\n"',
  'model.indented="  leading spaces\\n    more\\nback"',
  'model.specials=["- dash", "# hash", "key: value", "@at", "`tick`", "[x]", "{y}", "!bang", "&amp", "*star", "|pipe", ">gt"]',
  'model.unicode=["ü", "✓ done", "日本"]',
  'model.blank=',
  'new.section.deep=[{name: a, values: [1, {x: [2, 3]}]}]',
  'data.nx=32',
]

describe('embedded engine reads the YAML exp writes (miniyaml against the yaml writer of exp new --set)', function () {
  this.timeout(30_000)

  it('gives the same value as the yaml package for every shape --set can produce', async function () {
    requireTool(
      this,
      (await execa('python3', ['--version'], {reject: false})).exitCode === 0,
      'python3 is not installed',
    )
    const golden = readFileSync(path.join(ROOT, 'configs', 'train_burgers_golden.yaml'), 'utf8')
    const texts = SETS.map((set) => {
      const doc = parseConfigText(golden, 'golden.yaml')
      applyOverrides(doc, [parseOverride(set)])
      return doc.toString()
    })
    const all = parseConfigText(golden, 'golden.yaml')
    applyOverrides(
      all,
      SETS.map((s) => parseOverride(s)),
    )
    texts.push(all.toString())
    assert.ok(
      texts.some((t) => /^ {4}- 1$/m.test(t)),
      'the writer writes block lists',
    )
    assert.ok(
      texts.some((t) => /: [|>]/.test(t)),
      'the writer writes block scalars',
    )
    const script =
      'import json, sys\nsys.path.insert(0, sys.argv[1])\nimport miniyaml\nprint(json.dumps([miniyaml.loads(t) for t in json.load(sys.stdin)]))'
    const r = await execa('python3', ['-c', script, path.join(ROOT, 'engines', 'burgers')], {
      input: JSON.stringify(texts),
      reject: false,
    })
    assert.equal(r.exitCode, 0, r.stderr)
    const read = JSON.parse(r.stdout) as unknown[]
    for (const [i, text] of texts.entries())
      assert.deepEqual(read[i], parse(text), `${SETS[i] ?? 'all at once'}:\n${text}`)
  })
})
