import {EXIT, ExpError} from '../errors.js'
import type {Clock} from '../lib/time.js'
import {checkOutputFile} from '../workspace/output-file.js'
import type {Workspace} from '../workspace/workspace.js'
import {findCandidates, type NotCandidate, onePerTarget} from './candidates.js'
import type {GateSpec} from './gate.js'
import {executePromotions} from './execute.js'
import {describePlan, planPromotion, type PromotionOutcome, type PromotionPlan, type TargetOptions} from './promote.js'

/** The questions `exp promote` asks a person at a terminal (absent without one: then nothing is ever asked). */
export interface PromoteAsk {
  /** no NAME: which candidates (best first) to promote */
  pick(candidates: PromotionPlan[], previews: PromotionOutcome[]): Promise<PromotionPlan[]>
  /** NAME: promote it? */
  confirm(preview: PromotionOutcome): Promise<boolean>
}

export interface PromoteOptions {
  /** the experiment; without it, the candidates */
  name?: string
  spec: GateSpec
  target: TargetOptions
  /** absolute leaderboard file, or null (--no-update-leaderboard) */
  leaderboard: string | null
  /** where the leaderboard path came from, for messages: --leaderboard-csv or promote.leaderboard */
  leaderboardSource?: string
  force: boolean
  dryRun: boolean
  /** promote without asking (NAME), or every candidate (no NAME) */
  autoPromote: boolean
  now: Clock
  ask?: PromoteAsk
}

export interface PromoteResult {
  dry_run: boolean
  /** no NAME: every candidate, best first, with what promoting it would do; null with NAME */
  candidates: PromotionOutcome[] | null
  /** no NAME: experiments classified success that are not candidates, and why */
  excluded: NotCandidate[] | null
  /** what was done (or, under --dry-run, would be done) */
  promotions: PromotionOutcome[]
  /** no NAME, no terminal, no --auto-promote: the candidates were listed and nothing was chosen */
  needs_choice: boolean
}

/** `exp promote`: one experiment (NAME) or the candidates; dry run, prompts and --auto-promote decided here. */
export async function promote(ws: Workspace, options: PromoteOptions): Promise<PromoteResult> {
  // a broken, foreign or differently ranked leaderboard is refused before anything else (read again under the lock)
  if (options.leaderboard !== null) {
    const lb = await import('../leaderboard/leaderboard.js')
    await checkOutputFile(ws, options.leaderboard, {
      flag: options.leaderboardSource ?? '--leaderboard-csv',
      isOurs: lb.isLeaderboardCsv,
      what: 'an exp leaderboard',
    })
    lb.checkBoardMetric(await lb.readLeaderboard(options.leaderboard), options.spec.metric)
  }
  const result = await (options.name === undefined
    ? promoteCandidates(ws, options)
    : promoteNamed(ws, options.name, options))
  // reports/index.html, when there is one, shows the promoted experiments' metrics as they now stand
  if (result.promotions.some((p) => p.written))
    await (await import('../report/service.js')).refreshIndexAfterChange(ws, options.now)
  return result
}

async function promoteNamed(ws: Workspace, name: string, options: PromoteOptions): Promise<PromoteResult> {
  const plan = await planPromotion(ws, name, {now: options.now, spec: options.spec, target: options.target})
  const preview = describePlan(ws, plan, options, options.dryRun)
  const result = (promotions: PromotionOutcome[]): PromoteResult => ({
    candidates: null,
    dry_run: options.dryRun,
    excluded: null,
    needs_choice: false,
    promotions,
  })
  if (preview.action === 'refused') throw new ExpError(preview.message, {code: 'TARGET_EXISTS'})
  if (options.dryRun) return result([preview])
  // identical content: nothing to ask; executing only records what a killed promotion may have left unrecorded
  if (preview.action !== 'unchanged' && !options.autoPromote) {
    if (!options.ask) {
      throw new ExpError(`promoting ${plan.experiment} needs a confirmation and there is no terminal to ask on.`, {
        code: 'NEEDS_CONFIRMATION',
        exit: EXIT.usage,
        suggestion: `exp promote ${plan.experiment} --yes`,
      })
    }
    if (!(await options.ask.confirm(preview)))
      throw new ExpError('cancelled; nothing was promoted.', {code: 'CANCELLED', exit: EXIT.usage})
  }
  const [done] = await executePromotions(ws, [plan], options)
  if (done.action === 'refused') throw new ExpError(done.message, {code: 'REFUSED'})
  return result([done])
}

async function promoteCandidates(ws: Workspace, options: PromoteOptions): Promise<PromoteResult> {
  const {candidates, excluded} = await findCandidates(ws, {
    now: options.now,
    spec: options.spec,
    target: options.target,
  })
  const previews = candidates.map((plan) => describePlan(ws, plan, options, true))
  const result: PromoteResult = {
    candidates: previews,
    dry_run: options.dryRun,
    excluded,
    needs_choice: false,
    promotions: [],
  }
  if (candidates.length === 0) return result

  let chosen: PromotionPlan[]
  if (options.dryRun || options.autoPromote) chosen = candidates
  else if (options.ask) chosen = await options.ask.pick(candidates, previews)
  else return {...result, needs_choice: true}

  const {clashes, kept} = onePerTarget(chosen)
  const skipped = new Map(
    clashes.map(({plan, winner}) => [
      plan,
      {
        ...describePlan(ws, plan, options, true),
        action: 'skipped' as const,
        message: `${plan.experiment} is skipped: ${winner.experiment} (better ${plan.metric}) goes to the same file ${describePlan(ws, winner, options, true).target}.`,
      },
    ]),
  )
  const done = options.dryRun
    ? kept.map((plan) => describePlan(ws, plan, options, true))
    : await executePromotions(ws, kept, options)
  const byPlan = new Map(kept.map((plan, i) => [plan, done[i]]))
  result.promotions = chosen.map((plan) => byPlan.get(plan) ?? skipped.get(plan)!)
  return result
}
