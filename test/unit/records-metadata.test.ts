import assert from 'node:assert/strict'

import {metadataProblem, parseMetadata, serializeMetadata} from '../../src/records/metadata.js'

describe('records/metadata.ts: the one reader and writer of metadata.json', () => {
  it('keeps unknown fields and writes the same bytes it read', async () => {
    const text =
      JSON.stringify(
        {schema: 1, name: '2026-01-01-x', mine: {a: [1, 'b']}, promotions: [{target: 't', extra: true}], zeta: null},
        null,
        2,
      ) + '\n'
    const value = await parseMetadata(text, 'experiments/x/metadata.json')
    assert.deepEqual(value.mine, {a: [1, 'b']})
    assert.equal(serializeMetadata(value), text)
  })

  it('a record that fails its schema is one line naming the file and the field', async () => {
    assert.equal(await metadataProblem({promotions: {}}, 'metadata.json'), 'metadata.json: "promotions" is not a list')
    assert.equal(await metadataProblem({status: 3}, 'metadata.json'), 'metadata.json: "status" is not a string')
    assert.equal(
      await metadataProblem({promotions: [{target: 7}]}, 'm.json'),
      'm.json: "promotions.0.target" is not a string',
    )
    assert.equal(await metadataProblem([], 'm.json'), 'm.json: not a JSON object')
    assert.equal(await metadataProblem({status: 3, promotions: []}, 'm.json', ['promotions']), undefined)
    await assert.rejects(
      parseMetadata('{"base_config": 1}', 'x/metadata.json'),
      (e: Error) => e.message === 'x/metadata.json: "base_config" is not an object.' && !e.message.includes('\n'),
    )
    await assert.rejects(parseMetadata('{', 'x/metadata.json'), /x\/metadata\.json is not a valid JSON object/)
  })
})
