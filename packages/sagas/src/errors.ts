import { defineErrors } from '@outrig/core/errors';

/** Every error code of @outrig/sagas. Listed in docs/errors.md (a test checks). */
export const SagaErrors = defineErrors({
  SAGA_DEFINITION_INVALID: { status: 500, message: 'Invalid saga definition {saga}: {reason}' },
  SAGA_REGISTRY_INVALID: { status: 500, message: 'Invalid saga registry: {reason}' },
  SAGA_OPTIONS_INVALID: { status: 500, message: 'Invalid saga runtime options: {reason}' },
  SAGA_VERSION_UNREGISTERED: {
    status: 500,
    message:
      'The database holds {count} unfinished instance(s) of saga {saga} version {version}, which is not registered: keep that definition registered until they finish',
  },
  SAGA_NOT_FOUND: { status: 404, message: 'Saga instance {id} not found' },
  SAGA_ACTION_NOT_ALLOWED: {
    status: 409,
    message: 'Cannot {action} saga instance {id}: it is {status}',
  },
  SAGA_RUNTIME_STOPPED: { status: 503, message: 'The saga runtime is stopped' },
  SAGA_COMMAND_FAILED: {
    status: 500,
    message: 'The {phase} command of step {step} of saga {saga} could not be built: {reason}',
  },
  PROJECTION_DEFINITION_INVALID: {
    status: 500,
    message: 'Invalid projection definition {projection}: {reason}',
  },
  PROJECTION_REBUILD_RUNNING: {
    status: 409,
    message: 'A rebuild of projection {projection} is already running',
  },
  PROJECTION_SIDE_EFFECT: {
    status: 500,
    message: 'Projection {projection} tried a side effect ({what}): projections only write their own table',
  },
  PROJECTION_SOURCE_MISSING: {
    status: 500,
    message: 'Projection {projection} reads the postgres transport log {schema}.log, which does not exist',
  },
});
