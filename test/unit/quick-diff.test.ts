import assert from 'node:assert/strict'

import {diffConfigs, parseConfigText} from '../../src/config/config-file.js'
import {quickDiff} from '../../src/experiments/quick-diff.js'

const BASE = `# a base config
seed: 0   # one seed

data:
  nx: 64          # grid points
  name: burgers
  nested:
    # a comment line
    deep: 1.5
model:
  latent_dim: 8
  layers: [1, 2]
shared: &s
  lr: 0.1
other: *s
notes: |
  lr: 0.1
list:
  - a: 1
    b: 2
`
const base = () => ({text: BASE, value: parseConfigText(BASE, 'base.yaml').toJS()})
const full = (text: string) => diffConfigs(base().value, parseConfigText(text, 'c.yaml').toJS())

describe('quickDiff: a config against its base without parsing it', () => {
  const same: Array<[string, string]> = [
    ['one top-level value', BASE.replace('seed: 0 ', 'seed: 7 ')],
    [
      'nested values, comment changed too',
      BASE.replace('nx: 64          # grid points', 'nx: 128 # finer').replace('deep: 1.5', 'deep: true'),
    ],
    ['a number becomes a string', BASE.replace('latent_dim: 8', 'latent_dim: "8"')],
    ['a string value', BASE.replace('name: burgers', "name: 'kdv'")],
    ['only a comment changed', BASE.replace('seed: 0   # one seed', 'seed: 0   # another')],
    ['byte-identical', BASE],
    [
      'every core spelling',
      BASE.replace('seed: 0 ', 'seed: 0x1F ')
        .replace('nx: 64 ', 'nx: -1.5e3 ')
        .replace('deep: 1.5', 'deep: NULL')
        .replace('name: burgers', 'name: .inf')
        .replace('latent_dim: 8', 'latent_dim: 007'),
    ],
    [
      'plain strings that look like other things',
      BASE.replace('name: burgers', 'name: yes')
        .replace('latent_dim: 8', 'latent_dim: 1.2.3')
        .replace('deep: 1.5', 'deep: a#b'),
    ],
  ]
  for (const [what, text] of same) {
    it(`${what}: the same changes as a full parse`, () => {
      const quick = quickDiff(base(), text)
      assert.notEqual(quick, undefined, what)
      assert.deepEqual(quick, full(text))
    })
  }

  const refused: Array<[string, string]> = [
    ['a flow list', BASE.replace('layers: [1, 2]', 'layers: [1, 3]')],
    ['a value under an anchor', BASE.replace('  lr: 0.1\nother', '  lr: 0.2\nother')],
    ['a line inside a block scalar', BASE.replace('notes: |\n  lr: 0.1', 'notes: |\n  lr: 0.3')],
    ['a mapping inside a sequence', BASE.replace('    b: 2', '    b: 3')],
    ['a line added', BASE + 'extra: 1\n'],
    ['a value becomes an alias', BASE.replace('seed: 0 ', 'seed: *s ')],
    ['a value becomes a mapping', BASE.replace('seed: 0 ', 'seed: {a: 1} ')],
    ['a key renamed', BASE.replace('seed: 0', 'sead: 0')],
  ]
  for (const [what, text] of refused) {
    it(`${what}: left to the full parse`, () => {
      assert.equal(quickDiff(base(), text), undefined)
    })
  }
})
