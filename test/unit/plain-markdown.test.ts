import assert from 'node:assert/strict'
import MarkdownIt from 'markdown-it'

// @ts-expect-error bench/ is plain JavaScript: its seeded PRNG, so the documents are the same on every run
import {prng} from '../../bench/generate.js'
import {plainMarkdown} from '../../src/report/plain-markdown.js'

const md = new MarkdownIt({html: false, linkify: false, typographer: false})

const WORDS = [
  'loss',
  'latent_dim',
  'a_b_c',
  'Status:',
  '✓',
  '→',
  '"quoted"',
  "it's",
  '~150',
  '8',
  '1.5',
  'a-b',
  'x/y',
  '#tag',
  '(see)',
  '!',
  '=',
  '-',
  '--',
  '{a}',
  'é',
  '`code`',
  '`a b`',
  '`x_y`',
]
const HOSTILE = ['_x', 'y_', 'a__b', '` x`', '`', '*em*', '[link](u)', '<b>', '&amp;', '\\*', '~~s~~', '|']
const STARTS = ['', '', '', '', '', '', '# ', '## ', '###### ', '- ', '- ', '- ']
const ODD_STARTS = [
  '####### ',
  '-',
  '* ',
  '+ ',
  '1. ',
  '2) ',
  ' ',
  '  ',
  '    ',
  '> ',
  '```',
  '#',
  '---',
  '===',
  '# #',
  '#  ',
]
const ENDS = ['', ' ', '  ', ' #']

function line(rand: () => number): string {
  if (rand() < 0.2) return ''
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]
  const words = Array.from({length: 1 + Math.floor(rand() * 5)}, () => pick(rand() < 0.03 ? HOSTILE : WORDS))
  return pick(rand() < 0.05 ? ODD_STARTS : STARTS) + words.join(' ') + (rand() < 0.05 ? pick(ENDS) : '')
}

describe('plainMarkdown: the HTML markdown-it gives, for plain notes', () => {
  it('renders the notes exp new writes exactly as markdown-it does', () => {
    const notes = [
      '# 2025-06-01-lr-fast-00001',
      '',
      'Created 2025-06-01 from `configs/train_burgers_golden.yaml`.',
      '',
      '## Hypothesis',
      '',
      'latent_dim 8 lowers final_nrmse',
      '',
      '## Config changes',
      '',
      '- `model.latent_dim`: 8 → 64',
      '',
      '## Results',
      '',
      'Loss curve flattens after ~150 epochs; see reports/.',
      '',
      'Status: ✓ converged, beats the golden config',
      '',
    ].join('\n')
    assert.equal(plainMarkdown(notes), md.render(notes))
    // emphasis is left to markdown-it
    assert.equal(plainMarkdown(notes.replace('lowers', '_lowers_')), undefined)
  })

  it("gives markdown-it's HTML or declines, on 5,000 generated documents", () => {
    const rand = prng(18)
    let rendered = 0
    for (let i = 0; i < 5000; i++) {
      const doc = Array.from({length: 1 + Math.floor(rand() * 8)}, () => line(rand)).join('\n')
      const quick = plainMarkdown(doc)
      if (quick === undefined) continue
      rendered++
      assert.equal(quick, md.render(doc), JSON.stringify(doc))
    }
    // the fast path must not decline everything
    assert.ok(rendered > 500, `only ${rendered} rendered`)
  })
})
