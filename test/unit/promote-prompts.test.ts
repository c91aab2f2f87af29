import {checkbox} from '@inquirer/prompts'
import {render} from '@inquirer/testing'
import assert from 'node:assert/strict'

import type {PromotionOutcome, PromotionPlan} from '../../src/promote/promote.js'
import {candidateChoices} from '../../src/promote/prompts.js'

const plan = (experiment: string, value: number): PromotionPlan =>
  ({experiment, metric: 'final_nrmse', value}) as PromotionPlan
const preview = (target: string, action: PromotionOutcome['action']): PromotionOutcome =>
  ({action, target}) as PromotionOutcome

describe('the candidate checkbox', () => {
  it('lists candidates in the given (best first) order, none checked, and a refused one cannot be picked', async () => {
    const plans = [plan('2025-01-02-a', 0.02), plan('2025-01-01-b', 0.06), plan('2025-01-03-c', 0.09)]
    const previews = [
      preview('configs/train_a.yaml', 'create'),
      preview('configs/train_b.yaml', 'refused'),
      preview('configs/train_c.yaml', 'unchanged'),
    ]
    const {answer, events, getScreen} = await render(checkbox, {
      choices: candidateChoices(plans, previews),
      message: 'Promote which experiments?',
    })
    const screen = getScreen()
    assert.ok(
      screen.indexOf('2025-01-02-a') < screen.indexOf('2025-01-01-b') &&
        screen.indexOf('2025-01-01-b') < screen.indexOf('2025-01-03-c'),
      screen,
    )
    assert.match(screen, /2025-01-02-a {2}final_nrmse=0\.02 {2}→ configs\/train_a\.yaml \(new file\)/)
    assert.match(screen, /exists with different content: run with --force/)
    assert.doesNotMatch(screen, /◉/, 'nothing is checked by default')
    // select all: the disabled (refused) one stays out
    events.keypress('a')
    events.keypress('enter')
    assert.deepEqual(
      (await answer).map((p) => p.experiment),
      ['2025-01-02-a', '2025-01-03-c'],
    )
  })
})
