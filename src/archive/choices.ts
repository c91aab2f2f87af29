import type {Status} from '../classify/classify.js'

/** What `exp archive --status` may select: `all` is success, failed and stale. Active experiments are never archived. */
export const ARCHIVE_CHOICES = ['all', 'success', 'failed', 'stale'] as const
export type ArchiveChoice = (typeof ARCHIVE_CHOICES)[number]
export const ARCHIVABLE: readonly Status[] = ['success', 'failed', 'stale']
