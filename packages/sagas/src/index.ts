export { SagaErrors } from './errors.ts';
export {
  defineProjection,
  generationTable,
  type ProjectionContext,
  type ProjectionDefinition,
  type ProjectionDefinitionOptions,
} from './projection/define-projection.ts';
export { projectionMigrations } from './projection/projection-migrations.ts';
export {
  createProjectionRunner,
  type ProjectionLag,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
} from './projection/projection-runner.ts';
export { commandEvent, replyTo } from './saga/command-event.ts';
export { commandId, instanceId } from './saga/command-id.ts';
export {
  type AnySagaDefinition,
  DEFAULT_COMPENSATION_ATTEMPTS,
  DEFAULT_COMPENSATION_BACKOFF_MS,
  DEFAULT_STEP_TIMEOUT_MS,
  defineSaga,
  type SagaCommand,
  type SagaCompensation,
  type SagaDefinition,
  type SagaDefinitionOptions,
  type SagaReplies,
  type SagaStep,
} from './saga/define-saga.ts';
export {
  assertSagaVersions,
  type ListSagasOptions,
  listSagas,
  type SagaDetails,
  type SagaSummary,
  sagaGauges,
  showSaga,
} from './saga/saga-admin.ts';
export { registerSagaAdminRoutes, type SagaAdminRoutesOptions } from './saga/saga-admin-routes.ts';
export {
  createSagaEngine,
  SAGA_TRACER_NAME,
  type SagaCrashPoint,
  type SagaEngine,
  type SagaEngineOptions,
  type TransitionRecord,
} from './saga/saga-engine.ts';
export { sagaMigrations } from './saga/saga-migrations.ts';
export { createSagaRegistry, type SagaRegistry } from './saga/saga-registry.ts';
export {
  actionName,
  requestSagaAction,
  SAGA_ACTION_STATUSES,
  type SagaAction,
  type SagaRequest,
  sagaRequest,
  waitForSagaRequest,
} from './saga/saga-request.ts';
export { type CleanupSagasOptions, cleanupSagas } from './saga/saga-retention.ts';
export {
  createSagaRuntime,
  type SagaRuntime,
  type SagaRuntimeOptions,
  type SagaRuntimeStats,
} from './saga/saga-runtime.ts';
export {
  type SagaSpecification,
  type SpecOutcome,
  type SpecTimer,
  sagaSpecification,
} from './saga/saga-specification.ts';
export {
  FINAL_STATUSES,
  type PlannedCommand,
  type PlannedTimer,
  SAGA_STATUS_EDGES,
  type SagaHistoryEntry,
  type SagaInput,
  type SagaInstance,
  type SagaPhase,
  type SagaState,
  type SagaStatus,
  type SagaTransition,
  sagaTransition,
  startSaga,
} from './saga/saga-transition.ts';
export { registerSagaMetrics, type SagaMetricsSources } from './saga-metrics.ts';
