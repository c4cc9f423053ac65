/**
 * The `--import` entry: `node --import @outrig/core/telemetry src/main.ts`.
 *
 * Runs before the service's own modules: reads the tracing variables (a bad value stops the
 * process with exit 78 naming the variable, like any configuration error), registers the
 * import-in-the-middle loader hook so that ESM imports of instrumented modules (`pg`, `http`)
 * are patched, then starts the OpenTelemetry SDK. `TRACING_ENABLED=false` loads nothing more.
 */
import { register as registerAsyncHooks } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { exitOnConfigError } from '../run-service.ts';
import { type TracingSettings, tracingSettingsFromEnv } from './tracing-config.ts';

/** Modules the instrumentations patch through the ESM loader hook (the rest load untouched). */
const INSTRUMENTED_MODULES = ['pg', 'pg-pool', 'http', 'https'];

if (isMainThread) {
  const settings = readSettings();
  for (const warning of settings.warnings) process.stderr.write(`${warning}\n`);
  if (settings.enabled) {
    const hooksAcknowledged = await registerLoaderHook();
    const { startTracing } = await import('./start-tracing.ts');
    startTracing(settings);
    await hooksAcknowledged();
  }
}

function readSettings(): TracingSettings {
  try {
    return tracingSettingsFromEnv(process.env);
  } catch (err) {
    exitOnConfigError(err);
    throw err;
  }
}

/**
 * In-thread synchronous hooks (`module.registerHooks`) where Node supports them (22.22.3+,
 * 24.11.1+), else the off-thread `module.register` loader. Resolves to a wait for the loader
 * to acknowledge the instrumentations' hooks: call it after the SDK started, before the
 * service's modules load.
 */
async function registerLoaderHook(): Promise<() => Promise<void>> {
  const sync = await import('import-in-the-middle/register-hooks.mjs');
  if (sync.supportsSyncHooks()) {
    sync.register({ include: INSTRUMENTED_MODULES });
    return async () => {};
  }
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  registerAsyncHooks('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  return waitForAllMessagesAcknowledged;
}
