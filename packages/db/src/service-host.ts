import type { ErrorMapper } from '@outrig/core/errors';

/**
 * The part of an `@outrig/core` Service that framework packages attach to: readiness checks,
 * close hooks, the logger. Typed structurally so this package does not need the HTTP kit.
 */
export interface ServiceHost {
  readonly name: string;
  readonly log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
  readiness(name: string, check: () => Promise<void>): unknown;
  onClose(name: string, hook: () => Promise<void> | void): unknown;
  /** Adds an error mapper to the service's error handler (absent on hosts without HTTP). */
  mapErrors?(mapper: ErrorMapper): unknown;
  /** Sets the AsyncAPI document the host serves at `/asyncapi.json` (absent on hosts without HTTP). */
  describeEvents?(document: () => unknown): unknown;
}
