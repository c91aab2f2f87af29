/**
 * Promotion of an experiment's config to production, in three steps:
 * - assess/plan (read only): the experiment has config.yaml (valid YAML), its newest report with a verdict passes the
 *   gate (gates_passed true, no errors, the metric a finite number meeting the threshold), and it is classified
 *   success (so a person's ✗ in notes.md or metadata.json, a newer failed run or a live run block it);
 * - execute (execute.ts), under the workspace lock: re-check the source and the target, then the previous version in
 *   <production dir>/.history/ (only with force), the production file, the metadata.json promotions entry and the
 *   leaderboard row are written as ONE journaled step (lib/file-set.ts): all of them or none, even when killed;
 * - rollback (rollback.ts): the newest kept version goes back in place, the replaced one is kept too, the promotion
 *   is marked and its leaderboard row removed, in one journaled step as well.
 */
export {type Assessment, HISTORY_DIR, type PromotionPlan, type TargetOptions} from './plan.js'
export {assess, planPromotion, targetFor} from './assess.js'
export {type Provenance, provenanceHeader, splitProvenance} from './provenance.js'
export {
  conflictMessage,
  describePlan,
  type ExecuteOptions,
  outcome,
  type PromotionAction,
  type PromotionOutcome,
  summary,
  unchangedMessage,
} from './outcome.js'
