import assert from 'node:assert/strict'

import {applyOverrides, diffConfigs, parseConfigText, parseOverride} from '../../src/config/config-file.js'
import {splitDirName, validateName} from '../../src/experiments/naming.js'
import {metadataVerdict, notesVerdict} from '../../src/classify/verdicts.js'
import {ExpError} from '../../src/errors.js'

describe('notes.md verdicts', () => {
  it('reads Status:/Result: lines with ✓ or ✗, last one wins', () => {
    assert.equal(notesVerdict('# x\nStatus: ✓ works')?.verdict, 'success')
    assert.equal(notesVerdict('- **Result**: ✗ NaN at epoch 3')?.verdict, 'failed')
    assert.equal(notesVerdict('Status: ✗\n...\nStatus: ✅ fixed')?.verdict, 'success')
    assert.equal(notesVerdict('Status: ✔')?.line, 1)
  })

  it('ignores lines without a mark, with both marks, and other lines with marks', () => {
    assert.equal(notesVerdict('Status: pending'), undefined)
    assert.equal(notesVerdict('Status: ✓ or ✗?'), undefined)
    assert.equal(notesVerdict('Loss went down ✓'), undefined)
  })

  it('metadata status words', () => {
    assert.equal(metadataVerdict('success'), 'success')
    assert.equal(metadataVerdict('FAILED'), 'failed')
    assert.equal(metadataVerdict('running'), undefined)
    assert.equal(metadataVerdict(3), undefined)
  })
})

describe('experiment names', () => {
  for (const bad of [
    'a/b',
    '..',
    'a..b',
    'has space',
    'tab\tname',
    'ünïcode',
    '-flag',
    '.hidden',
    'semi;colon',
    '$(rm)',
    '',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => validateName(bad), ExpError)
    })
  }

  it('accepts safe names and splits dated directory names', () => {
    validateName('test-64dim_v2.1')
    assert.deepEqual(splitDirName('2025-01-22-test-64dim'), {date: '2025-01-22', slug: 'test-64dim'})
    assert.deepEqual(splitDirName('old-run'), {date: null, slug: 'old-run'})
  })
})

describe('config overrides and diff', () => {
  const base = '# golden\nmodel:\n  latent_dim: 12 # modes\ntraining:\n  epochs: 150\n  schedule: [1, 2]\n'

  it('sets nested values with YAML typing and keeps comments', () => {
    const doc = parseConfigText(base, 'c.yaml')
    const added = applyOverrides(doc, [
      parseOverride('model.latent_dim=64'),
      parseOverride('training.lr=1e-3'),
      parseOverride('training.schedule.1=5'),
    ])
    assert.deepEqual(added, ['training.lr'])
    const text = doc.toString()
    assert.match(text, /# golden/)
    assert.match(text, /latent_dim: 64 # modes/)
    assert.deepEqual(doc.toJS().training, {epochs: 150, lr: 0.001, schedule: [1, 5]})
  })

  it('refuses malformed overrides and setting below a scalar', () => {
    assert.throws(() => parseOverride('novalue'), /key.path=value/)
    assert.throws(() => parseOverride('a..b=1'), /key.path=value/)
    const doc = parseConfigText(base, 'c.yaml')
    assert.throws(() => applyOverrides(doc, [parseOverride('model.latent_dim.x=1')]), /is a value/)
  })

  it('diffs as dotted keys', () => {
    const changes = diffConfigs({a: {b: 1, c: 2}, l: [1]}, {a: {b: 1, c: 3, d: true}, l: [1, 2]})
    assert.deepEqual(changes, [
      {from: 2, key: 'a.c', to: 3},
      {from: undefined, key: 'a.d', to: true},
      {from: [1], key: 'l', to: [1, 2]},
    ])
  })

  it('reports invalid YAML with its line', () => {
    assert.throws(() => parseConfigText('a: 1\nb: [1, 2\n', 'bad.yaml'), /invalid YAML in bad.yaml/)
    assert.throws(() => parseConfigText('- 1\n- 2\n', 'list.yaml'), /mapping/)
  })
})
