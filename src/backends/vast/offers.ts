import {ExpError} from '../../errors.js'
import type {VastSettings} from '../../workspace/settings.js'

/**
 * Choosing what to rent: the search query exp sends, and the offers it will try, cheapest first.
 */

/** The vast options of one launch: exp.yaml `backends.vast` with the launch flags merged over it. */
export interface VastOptions {
  auto_shutdown: boolean
  disk: number
  gpu?: string
  image: string
  loading_timeout_minutes: number
  max_offers: number
  max_price?: number
  min_reliability: number
  num_gpus: number
  poll_interval: number
  query?: string
}

const OPTION_KEYS: Record<string, keyof VastOptions> = {
  autoShutdown: 'auto_shutdown',
  loadingTimeoutMinutes: 'loading_timeout_minutes',
  maxOffers: 'max_offers',
  maxPrice: 'max_price',
  minReliability: 'min_reliability',
  numGpus: 'num_gpus',
  pollInterval: 'poll_interval',
}

/**
 * Merge a launch's `request.options` (flag values, snake_case or camelCase; undefined = not given) over the
 * settings, checking types so a bad value fails here with its name rather than at vast.ai.
 */
export function resolveOptions(settings: VastSettings, given: Record<string, unknown> = {}): VastOptions {
  const out: VastOptions = {...settings}
  for (const [rawKey, value] of Object.entries(given)) {
    if (value === undefined || value === null) continue
    const key = (OPTION_KEYS[rawKey] ?? rawKey) as keyof VastOptions
    if (!(key in settings) && !['gpu', 'max_price', 'query'].includes(key)) continue // options for other backends
    const expected = key === 'auto_shutdown' ? 'boolean' : ['gpu', 'image', 'query'].includes(key) ? 'string' : 'number'
    const tooSmall =
      expected === 'number' &&
      (key === 'min_reliability' ? (value as number) < 0 || (value as number) > 1 : (value as number) <= 0)
    if (typeof value !== expected || (expected === 'number' && !Number.isFinite(value)) || tooSmall) {
      throw new ExpError(
        `vast option ${key}: expected a ${expected === 'number' ? 'positive number' : expected}, got ${JSON.stringify(value)}.`,
        {code: 'INVALID_OPTION', exit: 2},
      )
    }
    ;(out as unknown as Record<string, unknown>)[key] = value
  }
  if (!Number.isInteger(out.num_gpus))
    throw new ExpError(`vast option num_gpus: expected a whole number, got ${out.num_gpus}.`, {
      code: 'INVALID_OPTION',
      exit: 2,
    })
  return out
}

/** `gpu_name=RTX_4090 num_gpus=1 reliability>=0.95 disk_space>=20 <the user's query>` (vast's `_` = space). */
export function buildQuery(options: VastOptions): string {
  const words: string[] = []
  if (options.gpu) words.push(`gpu_name=${options.gpu.trim().replace(/\s+/g, '_')}`)
  words.push(`num_gpus=${options.num_gpus}`, `reliability>=${options.min_reliability}`, `disk_space>=${options.disk}`)
  if (options.query?.trim()) words.push(options.query.trim())
  return words.join(' ')
}

/** The facts exp keeps about an offer (the search answer has ~90 keys per offer). */
export interface OfferChoice {
  id: number
  machine_id: number | null
  gpu: string
  num_gpus: number
  dph_total: number
  /** the storage part of the price per hour, billed also while the instance is stopped */
  disk_dph: number
  reliability: number | null
  geolocation: string | null
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

export function toChoice(offer: Record<string, unknown>, diskGb: number): OfferChoice | undefined {
  const id = num(offer.id) ?? num(offer.ask_contract_id)
  const dph = num(offer.dph_total)
  if (id === undefined || dph === undefined) return undefined
  const search = offer.search && typeof offer.search === 'object' ? (offer.search as Record<string, unknown>) : {}
  // storage_cost is $/GB/month; search.diskHour is the storage part of dph_total for the requested disk
  const diskDph = num(search.diskHour) ?? ((num(offer.storage_cost) ?? 0) * diskGb) / 730
  return {
    disk_dph: Math.round(diskDph * 1e6) / 1e6,
    dph_total: dph,
    geolocation: typeof offer.geolocation === 'string' ? offer.geolocation : null,
    gpu: typeof offer.gpu_name === 'string' ? offer.gpu_name : '?',
    id,
    machine_id: num(offer.machine_id) ?? null,
    num_gpus: num(offer.num_gpus) ?? 1,
    reliability: num(offer.reliability) ?? num(offer.reliability2) ?? null,
  }
}

export interface PickOptions {
  maxPrice?: number
  minReliability: number
  limit: number
  /** machines that already failed this run */
  excludeMachines?: readonly number[]
}

/**
 * The offers to try, cheapest first: within the price limit, reliable enough, not on a machine that already failed
 * this run, at most `limit`. The server already sorted by price; sorting again keeps this true for any answer.
 */
export function pickOffers(offers: Record<string, unknown>[], diskGb: number, options: PickOptions): OfferChoice[] {
  const excluded = new Set(options.excludeMachines ?? [])
  return offers
    .map((o) => toChoice(o, diskGb))
    .filter((o): o is OfferChoice => o !== undefined)
    .filter((o) => options.maxPrice === undefined || o.dph_total <= options.maxPrice)
    .filter((o) => o.reliability === null || o.reliability >= options.minReliability)
    .filter((o) => o.machine_id === null || !excluded.has(o.machine_id))
    .sort((a, b) => a.dph_total - b.dph_total || a.id - b.id)
    .slice(0, options.limit)
}

/** `$0.3569/h` */
export function formatPrice(dph: number): string {
  return `$${dph.toFixed(dph < 1 ? 4 : 2)}/h`
}
