import type {Classification} from '../classify/classify.js'
import type {ExperimentSnapshot} from './snapshot.js'

/** An experiment's snapshot with its classification: what every status-aware service works on. */
export interface Classified {
  snapshot: ExperimentSnapshot
  classification: Classification
}
