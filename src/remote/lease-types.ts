/** The remote lease's file body, its storage and its clock (lease.ts is the protocol, lease-queue.ts the queue). */
export interface LeaseBody {
  holder: string
  host: string
  pid: number
  command: string
  created: string
  expires: string
}

/** The folder of leases: list names, read, write (always transferred), remove. */
export interface LeaseStore {
  list(): Promise<string[]>
  read(name: string): Promise<LeaseBody | undefined>
  write(name: string, body: LeaseBody): Promise<void>
  remove(name: string): Promise<boolean>
  /** when the last listing says `name` was written (ms), where the storage tells: a fresh one is live unread */
  written?(name: string): number | undefined
}

export interface LeaseClock {
  now(): number
  sleep(ms: number): Promise<void>
}
